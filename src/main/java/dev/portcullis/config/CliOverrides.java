package dev.portcullis.config;

import java.util.List;

/**
 * Values given on the command line; each, when present, replaces the config file's key named by
 * its {@link Flag} (a switch only when on). Picocli's option names are the flags' names.
 */
public record CliOverrides(
        @Flag(key = "listen", name = "--listen") List<String> listen,
        @Flag(key = "backend", name = "--backend") List<String> backends,
        @Flag(key = "balance", name = "--balance") String balance,
        @Flag(key = "passive-ports", name = "--passive-ports") String passivePorts,
        @Flag(key = "public-address", name = "--public-address") String publicAddress,
        @Flag(key = "tls.cert", name = "--tls-cert") String tlsCert,
        @Flag(key = "tls.key", name = "--tls-key") String tlsKey,
        @Flag(key = "tls.implicit-listen", name = "--implicit-tls-listen") List<String> implicitTlsListen,
        @Flag(key = "tls.policy", name = "--tls-policy") String tlsPolicy,
        @Flag(key = "tls.data-protection", name = "--data-protection") String dataProtection,
        @Flag(key = "backend-tls.mode", name = "--backend-tls") String backendTls,
        @Flag(key = "backend-tls.ca", name = "--backend-ca") String backendCa,
        @Flag(key = "admin.listen", name = "--admin-listen") String adminListen,
        @Flag(key = "proxy-protocol.accept", name = "--proxy-protocol") boolean proxyProtocol,
        @Flag(key = "limits.max-sessions-per-ip", name = "--max-sessions-per-ip") String maxSessionsPerIp,
        @Flag(key = "policy.ban-after-failures", name = "--ban-after") String banAfter,
        @Flag(key = "policy.ban-time", name = "--ban-time") String banTime) {

    public static final CliOverrides NONE = new CliOverrides(List.of(), null, null, null);

    public CliOverrides {
        listen = listen == null ? List.of() : List.copyOf(listen);
        implicitTlsListen = implicitTlsListen == null ? List.of() : List.copyOf(implicitTlsListen);
        backends = backends == null ? List.of() : List.copyOf(backends);
    }

    /** The config key a flag replaces, and the flag's name for error messages. */
    @java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME)
    @java.lang.annotation.Target(java.lang.annotation.ElementType.RECORD_COMPONENT)
    public @interface Flag {
        String key();

        String name();
    }

    /** The common-case flags only. */
    public CliOverrides(List<String> listen, String backend, String passivePorts, String publicAddress) {
        this(listen, backend == null ? List.of() : List.of(backend), null, passivePorts, publicAddress, null, null, List.of(), null, null,
                null, null, null, false, null, null, null);
    }
}
