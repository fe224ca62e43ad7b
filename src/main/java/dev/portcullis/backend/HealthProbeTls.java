package dev.portcullis.backend;

import dev.portcullis.config.BackendTlsConfig;
import dev.portcullis.config.ProxyConfig;
import dev.portcullis.tls.BackendTls;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS client context of health checks with AUTH TLS: the sessions' (same trust, same
 * certificate checks); with backend-tls off, one built from its trust settings all the same, and
 * rebuilt when a reload changes them.
 */
public final class HealthProbeTls implements Supplier<BackendTls> {

    private static final Logger log = LoggerFactory.getLogger("portcullis");

    private final Supplier<ProxyConfig> config;
    private final Supplier<BackendTls> sessions;
    private BackendTls own;
    private BackendTlsConfig ownConfig;

    /** {@code sessions}: the TLS context sessions use towards the backend now, or null when backend TLS is off. */
    public HealthProbeTls(Supplier<ProxyConfig> config, Supplier<BackendTls> sessions) {
        this.config = config;
        this.sessions = sessions;
    }

    @Override
    public synchronized BackendTls get() {
        BackendTls theirs = sessions.get();
        if (theirs != null) {
            return theirs;
        }
        ProxyConfig c = config.get();
        if (own == null || !ownConfig.equals(c.backendTls())) {
            try {
                own = new BackendTls(c.backendTls(), c.tls().provider(), c.tls().handshakeTimeout());
                ownConfig = c.backendTls();
            } catch (SSLException e) {
                log.warn("health checks with AUTH TLS cannot build a TLS client context: {}", e.getMessage());
                return null;
            }
        }
        return own;
    }
}
