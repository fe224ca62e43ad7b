package dev.portcullis.tls;

import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.internal.tcnative.SSL;
import java.util.Arrays;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;

/**
 * Did a data connection's TLS handshake resume a session? Required of data connections when
 * {@code tls.require-session-reuse} is on: a peer that cannot resume the control connection's
 * session does not hold its keys, so it is not the client (RFC 4217 section 10).
 */
public final class SessionReuse {

    private SessionReuse() {
    }

    public static boolean resumed(SSLEngine dataEngine, SSLSession controlSession) {
        if (dataEngine instanceof ReferenceCountedOpenSslEngine openSsl) {
            // BoringSSL's own answer (SSL_session_reused), by tcnative's public API on the engine's SSL*.
            long ssl = openSsl.sslPointer();
            return ssl != 0 && SSL.isSessionReused(ssl);
        }
        // The JDK engine does not say; a resumed TLS 1.2 session keeps its id.
        byte[] data = dataEngine.getSession().getId();
        return controlSession != null && data.length > 0 && Arrays.equals(data, controlSession.getId());
    }
}
