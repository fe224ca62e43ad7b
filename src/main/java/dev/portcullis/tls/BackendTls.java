package dev.portcullis.tls;

import dev.portcullis.config.BackendTlsConfig;
import dev.portcullis.config.TlsConfig;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.time.Duration;
import javax.net.ssl.SSLException;

/**
 * The TLS client context towards the backend. Data connections resume the session of their
 * control connection: each session's engines are created with the same cache key (the backend
 * host and the control connection's local port), so the client session cache offers exactly that
 * session, as servers with vsftpd's require_ssl_reuse demand.
 */
public final class BackendTls {

    private final SslContext context;
    private final SslProvider provider;
    private final Duration handshakeTimeout;

    public BackendTls(BackendTlsConfig config, TlsConfig.Provider wanted, Duration handshakeTimeout) throws SSLException {
        this.provider = TlsProvider.choose(wanted);
        this.handshakeTimeout = handshakeTimeout;
        SslContextBuilder b = SslContextBuilder.forClient()
                .sslProvider(provider)
                .protocols(TlsProvider.PROTOCOLS)
                .sessionCacheSize(20_000)
                .sessionTimeout(3600);
        if (config.insecure()) {
            b.trustManager(InsecureTrustManagerFactory.INSTANCE);
        } else if (config.fingerprint().isPresent()) {
            b.trustManager(new FingerprintTrustManager(config.fingerprint().get()));
        } else if (config.ca().isPresent()) {
            b.trustManager(config.ca().get().toFile());
        }
        try {
            this.context = b.build();
        } catch (IllegalArgumentException e) {
            throw new SSLException(e.getMessage(), e);
        }
    }

    /**
     * A JDK context that trusts the backend's certificate exactly as sessions do (backend-tls
     * insecure, fingerprint, ca, else the JDK's trust store), for the blocking health check: its
     * login probe sends a password, which must never go to a server the sessions would refuse.
     */
    public static javax.net.ssl.SSLContext jdkContext(BackendTlsConfig config) throws java.security.GeneralSecurityException,
            java.io.IOException {
        javax.net.ssl.TrustManager[] trust;
        if (config.insecure()) {
            trust = InsecureTrustManagerFactory.INSTANCE.getTrustManagers();
        } else if (config.fingerprint().isPresent()) {
            trust = new javax.net.ssl.TrustManager[] {new FingerprintTrustManager(config.fingerprint().get())};
        } else if (config.ca().isPresent()) {
            java.security.KeyStore store = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            try (java.io.InputStream in = java.nio.file.Files.newInputStream(config.ca().get())) {
                for (java.security.cert.Certificate c : java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    store.setCertificateEntry("ca-" + i++, c);
                }
            }
            javax.net.ssl.TrustManagerFactory f = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            f.init(store);
            trust = f.getTrustManagers();
        } else {
            trust = null; // the JDK's default trust store
        }
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(null, trust, null);
        return ctx;
    }

    public SslProvider provider() {
        return provider;
    }

    /**
     * A client-side handler. {@code sessionKeyPort} is the local port of the session's backend
     * control connection: the same for the control and the data connections of one session.
     */
    public SslHandler newHandler(ByteBufAllocator alloc, String backendHost, int sessionKeyPort) {
        SslHandler h = context.newHandler(alloc, backendHost, sessionKeyPort);
        h.setHandshakeTimeoutMillis(handshakeTimeout.toMillis());
        return h;
    }
}
