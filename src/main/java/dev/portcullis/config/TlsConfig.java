package dev.portcullis.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * TLS towards clients (FTPS termination).
 *
 * @param cert                 PEM certificate chain; with {@code key}, enables FTPS
 * @param key                  PEM private key (PKCS#8, RSA or EC)
 * @param clientCa             PEM CA bundle; when set, clients must present a certificate it signed
 * @param policy               control channel: TLS required, optional, or not offered
 * @param dataProtection       whether data connections must be protected (PROT P)
 * @param requireSessionReuse  refuse a TLS data connection that does not resume a session
 * @param implicitListen       implicit-FTPS listeners (TLS from the first byte, conventionally 990)
 * @param ciphers              cipher suites (TLS 1.2 names); TLS 1.3 suites are always AEAD
 * @param provider             TLS engine: BoringSSL (netty-tcnative) if it loads, or the JDK's
 * @param handshakeTimeout     limit for any TLS handshake, control or data
 * @param perListener          policy overrides for particular control listeners
 */
public record TlsConfig(
        Optional<Path> cert,
        Optional<Path> key,
        Optional<Path> clientCa,
        Policy policy,
        DataProtection dataProtection,
        boolean requireSessionReuse,
        List<InetSocketAddress> implicitListen,
        List<String> ciphers,
        Provider provider,
        Duration handshakeTimeout,
        List<ListenerPolicy> perListener) {

    /** The same policies on other implicit-FTPS listeners. */
    public TlsConfig withImplicitListen(List<InetSocketAddress> listeners) {
        return new TlsConfig(cert, key, clientCa, policy, dataProtection, requireSessionReuse, listeners, ciphers, provider,
                handshakeTimeout, perListener);
    }

    /** ECDHE key exchange with AEAD ciphers only (forward secrecy, no CBC, no RSA key transport). */
    public static final List<String> DEFAULT_CIPHERS = List.of(
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256");

    public static final TlsConfig DISABLED = new TlsConfig(Optional.empty(), Optional.empty(), Optional.empty(),
            Policy.OFF, DataProtection.ANY, false, List.of(), DEFAULT_CIPHERS, Provider.AUTO, Duration.ofSeconds(10), List.of());

    public TlsConfig {
        implicitListen = List.copyOf(implicitListen);
        ciphers = List.copyOf(ciphers);
        perListener = List.copyOf(perListener);
    }

    /** The policies of the listener configured at {@code address} (the global ones unless overridden). */
    public ListenerPolicy policyFor(InetSocketAddress address) {
        for (ListenerPolicy p : perListener) {
            if (p.address().equals(address)) {
                return p;
            }
        }
        return new ListenerPolicy(address, policy, dataProtection);
    }

    /** Control and data policy of one listener. */
    public record ListenerPolicy(InetSocketAddress address, Policy policy, DataProtection dataProtection) {
    }

    public boolean enabled() {
        return policy != Policy.OFF;
    }

    /** Control channel TLS policy. */
    public enum Policy { REQUIRED, OPTIONAL, OFF }

    /** Data channel protection policy. */
    public enum DataProtection { PRIVATE_REQUIRED, ANY }

    /** Which TLS implementation to use. */
    public enum Provider { AUTO, OPENSSL, JDK }
}
