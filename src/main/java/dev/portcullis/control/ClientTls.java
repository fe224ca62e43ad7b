package dev.portcullis.control;

import dev.portcullis.tls.ServerTls;
import dev.portcullis.tls.SessionReuse;
import io.netty.channel.Channel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import javax.net.ssl.SSLSession;

/**
 * The TLS state of one session's client side: whether the control connection is protected, the
 * PBSZ/PROT state (RFC 4217), and the context its data connections must use so that they can
 * resume the control connection's session.
 */
final class ClientTls {

    private final ServerTls serverTls;
    private SslContext context;
    private SSLSession controlSession;
    private boolean active;
    private boolean pbsz;
    private boolean protectData;

    ClientTls(ServerTls serverTls) {
        this.serverTls = serverTls;
    }

    boolean available() {
        return serverTls != null;
    }

    boolean active() {
        return active;
    }

    boolean pbszDone() {
        return pbsz;
    }

    void pbsz() {
        pbsz = true;
    }

    boolean protectData() {
        return protectData;
    }

    void protectData(boolean on) {
        protectData = on;
    }

    /** Starts TLS on the control channel (after 234 was written, or at once for implicit FTPS). */
    Future<Channel> start(Channel control, boolean alreadyInPipeline) {
        SslHandler handler;
        if (alreadyInPipeline) {
            handler = control.pipeline().get(SslHandler.class);
            context = serverTls.context(); // the implicit listener built its handler from the current context
        } else {
            context = serverTls.context();
            handler = serverTls.newHandler(context, control.alloc());
            control.pipeline().addFirst(HandlerNames.TLS, handler);
        }
        active = true;
        return handler.handshakeFuture().addListener(f -> {
            if (f.isSuccess()) {
                controlSession = handler.engine().getSession();
            }
        });
    }

    String describe(Channel control) {
        SslHandler h = control.pipeline().get(SslHandler.class);
        if (h == null || controlSession == null) {
            return "none";
        }
        return controlSession.getProtocol() + " " + controlSession.getCipherSuite();
    }

    /** A server-side handler for a client data connection, from the control connection's context. */
    SslHandler newDataHandler(Channel data) {
        return serverTls.newHandler(context, data.alloc());
    }

    boolean resumedControlSession(SslHandler dataHandler) {
        return SessionReuse.resumed(dataHandler.engine(), controlSession);
    }
}
