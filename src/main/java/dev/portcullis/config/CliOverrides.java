package dev.portcullis.config;

import java.util.List;

/** Values given on the command line; each, when present, replaces the config file's key. */
public record CliOverrides(
        List<String> listen,
        List<String> backends,
        String balance,
        String passivePorts,
        String publicAddress,
        String tlsCert,
        String tlsKey,
        List<String> implicitTlsListen,
        String tlsPolicy,
        String dataProtection,
        String backendTls,
        String backendCa,
        String adminListen,
        boolean proxyProtocol,
        String maxSessionsPerIp,
        String banAfter,
        String banTime) {

    public static final CliOverrides NONE = new CliOverrides(List.of(), null, null, null);

    public CliOverrides {
        listen = listen == null ? List.of() : List.copyOf(listen);
        implicitTlsListen = implicitTlsListen == null ? List.of() : List.copyOf(implicitTlsListen);
        backends = backends == null ? List.of() : List.copyOf(backends);
    }

    /** The common-case flags only. */
    public CliOverrides(List<String> listen, String backend, String passivePorts, String publicAddress) {
        this(listen, backend == null ? List.of() : List.of(backend), null, passivePorts, publicAddress, null, null, List.of(), null, null,
                null, null, null, false, null, null, null);
    }
}
