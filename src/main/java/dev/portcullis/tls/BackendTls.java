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
