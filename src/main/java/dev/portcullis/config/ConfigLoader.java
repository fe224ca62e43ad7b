package dev.portcullis.config;

import java.nio.file.Path;
import java.util.Optional;
import java.util.SortedSet;

/**
 * Reads the YAML file and the command-line overrides into a validated {@link ProxyConfig}:
 * {@link ConfigBinder} binds the file with the flags over it ({@link FlagOverlay}),
 * {@link ConfigValidator} checks the rules between keys. Every error names where it came from (file
 * or flag), the key, the value and what was expected; unknown keys are errors, so a typo never
 * silently falls back to a default.
 */
public final class ConfigLoader {

    public static final String DEFAULT_LISTEN = "127.0.0.1:2121";
    public static final String DEFAULT_PASSIVE_PORTS = "50000-50999";

    private ConfigLoader() {
    }

    public static ProxyConfig load(Optional<Path> file, CliOverrides cli) throws ConfigException {
        String source = file.map(Path::toString).orElse("(defaults)");
        FlagOverlay flags = FlagOverlay.of(cli);
        ProxyConfig config = ConfigBinder.bind(file.orElse(null), source, flags);
        ConfigValidator.check(config, source, flags);
        return config;
    }

    /** Every key the config file accepts, dotted ({@code tls.listeners[].policy} for list items). */
    public static SortedSet<String> knownKeys() {
        return ConfigBinder.knownKeys();
    }
}
