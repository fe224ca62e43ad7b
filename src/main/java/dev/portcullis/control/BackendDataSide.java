package dev.portcullis.control;

import dev.portcullis.backend.BackendCapabilities;
import dev.portcullis.backend.BackendMember;
import dev.portcullis.config.DataPolicy.BackendDataMode;
import dev.portcullis.guard.BackendAddressTrust;
import dev.portcullis.rewrite.DataAddressRewriter;
import dev.portcullis.net.Addresses;
import dev.portcullis.data.relay.DataRelay;
import dev.portcullis.data.relay.DataRelay.Side;
import dev.portcullis.data.setup.DataSetup;
import dev.portcullis.data.setup.PassiveListener;
import dev.portcullis.ftp.ExtendedHostPort;
import dev.portcullis.ftp.FtpReply;
import dev.portcullis.ftp.HostPort;
import dev.portcullis.metrics.ProxyMetrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's own data path to the backend for a data setup: EPSV (falling back to PASV for a
 * server that refuses it) or, with data.backend-mode active, a listener of the proxy's announced
 * by PORT/EPRT; then the backend data connection itself, in TLS when the backend side is TLS.
 * A refusal by the backend answers the client's command.
 */
final class BackendDataSide {

    private static final Logger log = LoggerFactory.getLogger("portcullis.session");

    private final ControlSession session;
    private final SessionContext ctx;
    /** The backend that refused EPSV in this session: PASV towards it for the rest of the session. */
    private BackendMember epsvRefusedBy;

    BackendDataSide(ControlSession session) {
        this.session = session;
        this.ctx = session.ctx();
    }

    private BackendChannel backend() {
        return session.connector().backend();
    }

    /** Prepares the backend side of {@code s}, then runs {@code onReady}. */
    void prepare(ReplySlot slot, DataSetup s, Runnable onReady) {
        if (ctx.config().data().backendMode() == BackendDataMode.ACTIVE) {
            prepareActive(slot, s, onReady);
        } else if (epsvRefusedBy == session.connector().member() || session.connector().member().capabilities().epsvRefused()) {
            sendPasv(slot, s, onReady);
        } else {
            backend().send("EPSV", r -> {
                if (r.isPreliminary()) {
                    return;
                }
                if (r.code() == 229) {
                    OptionalInt port = ExtendedHostPort.parseExtendedPassiveReply(r.text());
                    if (port.isEmpty()) {
                        failed(slot, s, "invalid 229 reply: " + r);
                        return;
                    }
                    s.backendTarget(new InetSocketAddress(backendAddress(), port.getAsInt()));
                    ready(s, onReady);
                } else if (r.code() >= 500 && r.code() != 530) {
                    // The backend does not do EPSV (e.g. an old IPv4-only server): use PASV from now on.
                    epsvRefusedBy = session.connector().member();
                    epsvRefusedBy.capabilities().markEpsvRefused();
                    log.info("{} backend refused EPSV ({}); using PASV towards it in this session and, for {} s, in new ones",
                            session.id(), r.code(), BackendCapabilities.EPSV_REFUSAL_MEMORY.toSeconds());
                    sendPasv(slot, s, onReady);
                } else if (r.code() == 421 || r.code() == 530) {
                    refused(slot, s, r);
                } else {
                    // Any other answer (curl's test server sends 314): PASV this time, as clients do
                    // after anything but 229; not remembered, it says nothing about EPSV in general.
                    log.info("{} backend answered EPSV with {}; using PASV for this transfer", session.id(), r.code());
                    sendPasv(slot, s, onReady);
                }
            });
        }
    }

    private void sendPasv(ReplySlot slot, DataSetup s, Runnable onReady) {
        backend().send("PASV", r -> {
            if (r.isPreliminary()) {
                return;
            }
            if (r.code() != 227) {
                refused(slot, s, r);
                return;
            }
            Optional<InetSocketAddress> announced = HostPort.parsePassiveReply(r.text());
            if (announced.isEmpty()) {
                failed(slot, s, "invalid 227 reply: " + r);
                return;
            }
            InetAddress host = BackendAddressTrust.dataHost(ctx.config().data().backendPasvAddress(), announced.get(), backendAddress());
            s.backendTarget(new InetSocketAddress(host, announced.get().getPort()));
            ready(s, onReady);
        });
    }

    private void prepareActive(ReplySlot slot, DataSetup s, Runnable onReady) {
        InetAddress source = ctx.config().data().backendActiveSource().orElse(backend().localAddress().getAddress());
        Future<PassiveListener> bound = ctx.dataConnector().listenEphemeral(
                session.client().eventLoop(), source, session.id(), backendAddress(), ch -> attach(s, ch));
        bound.addListener(f -> {
            if (!f.isSuccess()) {
                failed(slot, s, "cannot listen for the backend's data connection: " + f.cause().getMessage());
                return;
            }
            PassiveListener listener = bound.getNow();
            s.backendListener(listener);
            if (s.isClosed() || session.isClosed()) {
                return;
            }
            backend().send(DataAddressRewriter.activeCommand(new InetSocketAddress(source, listener.port())), r -> {
                if (r.isPreliminary()) {
                    return;
                }
                if (r.code() != 200) {
                    refused(slot, s, r);
                    return;
                }
                onReady.run();
            });
        });
    }

    private void ready(DataSetup s, Runnable onReady) {
        onReady.run();
        connectIfDue(s); // the client may already be connected to its passive port
    }

    /** The backend refused: its reply answers the client's command. */
    private void refused(ReplySlot slot, DataSetup s, FtpReply r) {
        s.close();
        session.replies().complete(slot, r);
    }

    private void failed(ReplySlot slot, DataSetup s, String why) {
        ctx.metrics().protocolViolation();
        log.warn("{} backend data setup failed: {}", session.id(), why);
        s.close();
        session.replies().reply(slot, 425, "Can't open data connection: the FTP server's data setup failed.");
    }

    /**
     * Connects to the backend's data port once it is known and the client side has asked for it:
     * in client passive mode when the client's data connection arrives, in client active mode as
     * soon as the backend's port is known.
     */
    void connectIfDue(DataSetup s) {
        // Client active mode: at once, as a client would connect right after the server's 227/229
        // (some servers wait only briefly); the relay holds the backend's bytes until the client's
        // connection is made after the 150.
        boolean due = s.clientMode() == DataSetup.ClientMode.PASSIVE ? s.relay().isAttached(Side.CLIENT) : true;
        if (!due || !s.startBackendConnect()) {
            return;
        }
        InetSocketAddress local = new InetSocketAddress(backend().localAddress().getAddress(), 0);
        s.relay().connecting(Side.BACKEND);
        ctx.dataConnector().connect(session.client().eventLoop(), s.backendTarget(), local).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                log.debug("{} data connection to backend {} open", session.id(), Addresses.format(s.backendTarget()));
                attach(s, f.channel());
            } else {
                log.warn("{} backend data connection to {} failed: {}", session.id(), Addresses.format(s.backendTarget()),
                        f.cause().toString());
                s.relay().abort();
            }
        });
    }

    /**
     * The client never connected for a running transfer: a backend waiting for the proxy's data
     * connection (vsftpd waits 60 s in accept) gets one that is reset at once, so that it answers
     * the transfer now and the session goes on. A reset, not a close: a FIN would end an upload
     * cleanly and store an empty file.
     */
    void dismiss(DataSetup s) {
        if (s.clientMode() != DataSetup.ClientMode.PASSIVE || !s.startBackendConnect()) {
            return;
        }
        InetSocketAddress local = new InetSocketAddress(backend().localAddress().getAddress(), 0);
        ctx.dataConnector().connect(session.client().eventLoop(), s.backendTarget(), local).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                DataRelay.reset(f.channel());
            }
        });
    }

    /** Joins a backend data connection to the relay, in TLS (client role) when the backend side is TLS. */
    private void attach(DataSetup s, Channel ch) {
        if (ctx.backendTls() != null) {
            SslHandler tls = session.connector().newTlsHandler(ch);
            ch.pipeline().addFirst(HandlerNames.TLS, tls);
            tls.handshakeFuture().addListener(f -> ctx.metrics().tlsHandshake(ProxyMetrics.TlsSide.BACKEND_DATA, f.isSuccess()));
        }
        s.relay().attach(Side.BACKEND, ch);
    }

    private InetAddress backendAddress() {
        return backend().remoteAddress().getAddress();
    }
}
