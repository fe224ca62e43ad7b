package dev.portcullis.tls;

import dev.portcullis.config.TlsConfig;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS server context towards clients. Certificates are reloaded when their files change (or
 * on {@link #reload()}, e.g. from SIGHUP): new handshakes use the new context, live sessions keep
 * theirs (a session's data connections resume against the context its control connection used).
 */
public final class ServerTls {

    private static final Logger log = LoggerFactory.getLogger("portcullis.tls");

    private final TlsConfig config;
    private final SslProvider provider;
    private final AtomicReference<SslContext> current = new AtomicReference<>();
    private volatile FileTime certTime;
    private volatile FileTime keyTime;

    public ServerTls(TlsConfig config) throws SSLException {
        this.config = config;
        this.provider = TlsProvider.choose(config.provider());
        current.set(build());
        certTime = mtime(config.cert().orElseThrow());
        keyTime = mtime(config.key().orElseThrow());
    }

    private SslContext build() throws SSLException {
        try {
            SslContextBuilder b = SslContextBuilder
                    .forServer(config.cert().orElseThrow().toFile(), config.key().orElseThrow().toFile())
                    .sslProvider(provider)
                    .protocols(TlsProvider.PROTOCOLS)
                    .ciphers(config.ciphers())
                    .sessionCacheSize(20_000)
                    .sessionTimeout(3600);
            if (config.clientCa().isPresent()) {
                b.trustManager(config.clientCa().get().toFile()).clientAuth(ClientAuth.REQUIRE);
            }
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new SSLException(e.getMessage(), e);
        }
    }

    public SslProvider provider() {
        return provider;
    }

    /** The context for a new control connection; keep it for that session's data connections. */
    public SslContext context() {
        return current.get();
    }

    /** A server-side handler with the configured handshake timeout. */
    public SslHandler newHandler(SslContext context, ByteBufAllocator alloc) {
        SslHandler h = context.newHandler(alloc);
        h.setHandshakeTimeoutMillis(config.handshakeTimeout().toMillis());
        return h;
    }

    /** Rebuilds the context from the files; on failure keeps the old one and says why. */
    public boolean reload() {
        try {
            current.set(build());
            certTime = mtime(config.cert().orElseThrow());
            keyTime = mtime(config.key().orElseThrow());
            log.info("TLS certificate reloaded from {}", config.cert().orElseThrow());
            return true;
        } catch (SSLException | RuntimeException e) {
            log.error("TLS certificate reload failed, keeping the previous one: {}", e.getMessage());
            return false;
        }
    }

    /** Reloads if the certificate or key file changed since the last load. */
    public void reloadIfChanged() {
        FileTime c = mtime(config.cert().orElseThrow());
        FileTime k = mtime(config.key().orElseThrow());
        if (c != null && k != null && (!c.equals(certTime) || !k.equals(keyTime))) {
            reload();
        }
    }

    private static FileTime mtime(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return null;
        }
    }
}
