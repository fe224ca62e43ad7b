package io.netty.handler.ssl;

import javax.net.ssl.SSLEngine;

/**
 * The one thing Portcullis needs from Netty's OpenSSL engine that is not public: whether the
 * handshake resumed a session (SSL_session_reused), to enforce TLS session reuse on data
 * connections as vsftpd's require_ssl_reuse does. Lives in Netty's package for that reason only.
 */
public final class PortcullisSslAccess {

    private PortcullisSslAccess() {
    }

    /** TRUE/FALSE for Netty's OpenSSL engines; null where the engine cannot tell. */
    public static Boolean isSessionReused(SSLEngine engine) {
        if (engine instanceof ReferenceCountedOpenSslEngine openSsl) {
            return openSsl.isSessionReused();
        }
        return null;
    }
}
