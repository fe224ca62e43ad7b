package dev.portcullis.config;

import java.util.List;

/** Values given on the command line; each, when present, replaces the config file's key. */
public record CliOverrides(List<String> listen, String backend, String passivePorts, String publicAddress) {

    public static final CliOverrides NONE = new CliOverrides(List.of(), null, null, null);

    public CliOverrides {
        listen = listen == null ? List.of() : List.copyOf(listen);
    }
}
