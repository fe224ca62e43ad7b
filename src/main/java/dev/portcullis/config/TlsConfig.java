package dev.portcullis.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonCreator;
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
    /**
     * The file's {@code tls} section. Unset, the policy is {@code required} with a certificate and
     * {@code off} without, data protection {@code private-required} or {@code any} likewise; a
     * listener's unset policy is the section's, its data protection the section's unless its policy is off.
     */
    @JsonCreator
    static TlsConfig fromFile(
            @JsonProperty("cert") @FileAccess(FileAccess.Kind.READ) Optional<Path> cert,
            @JsonProperty("key") @FileAccess(FileAccess.Kind.READ) Optional<Path> key,
            @JsonProperty("client-ca") @FileAccess(FileAccess.Kind.READ) Optional<Path> clientCa,
            @JsonProperty("policy") Policy policy,
            @JsonProperty("data-protection") DataProtection dataProtection,
            @JsonProperty("require-session-reuse") boolean requireSessionReuse,
            @JsonProperty("implicit-listen") List<InetSocketAddress> implicitListen,
            @JsonProperty("ciphers") List<String> ciphers,
            @JsonProperty("provider") Provider provider,
            @JsonProperty("handshake-timeout") Duration handshakeTimeout,
            @JsonProperty("listeners") List<ListenerPolicy> listeners) {
        boolean haveCert = cert.isPresent() && key.isPresent();
        Policy p = policy != null ? policy : haveCert ? Policy.REQUIRED : Policy.OFF;
        DataProtection d = dataProtection != null ? dataProtection : haveCert ? DataProtection.PRIVATE_REQUIRED : DataProtection.ANY;
        List<ListenerPolicy> resolved = new java.util.ArrayList<>();
        for (ListenerPolicy l : listeners) {
            Policy lp = l.policy() != null ? l.policy() : p;
            resolved.add(new ListenerPolicy(l.address(), lp,
                    l.dataProtection() != null ? l.dataProtection() : lp == Policy.OFF ? DataProtection.ANY : d));
        }
        return new TlsConfig(cert, key, clientCa, p, d, requireSessionReuse, implicitListen, ciphers, provider, handshakeTimeout, resolved);
    }

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
