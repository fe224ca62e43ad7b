package dev.portcullis.config;

/** A configuration error; the message names the source, the key, the value and what was expected. */
public final class ConfigException extends Exception {

    public ConfigException(String message) {
        super(message);
    }
}
