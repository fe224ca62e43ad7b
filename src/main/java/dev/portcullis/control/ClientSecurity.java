package dev.portcullis.control;

import dev.portcullis.net.Addresses;
import dev.portcullis.config.TlsConfig;
import dev.portcullis.ftp.FtpCommand;
import dev.portcullis.ftp.Verbs;
import dev.portcullis.metrics.ProxyMetrics;
import dev.portcullis.tls.HandshakeFailure;
import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side's security (RFC 2228/4217): AUTH, PBSZ, PROT and CCC are the proxy's own
 * business, since the client's TLS ends here and the backend side is set up independently; the
 * listener's policy (TLS required before login, protected data only); and TLS on the client's data
 * connections, with the session-reuse check that keeps a thief without the session keys out.
 */
final class ClientSecurity {

    private static final Logger log = LoggerFactory.getLogger("portcullis.session");

    private final ControlSession session;
    private final TlsConfig.ListenerPolicy policy;
    private final ClientTls tls;

    ClientSecurity(ControlSession session, TlsConfig.ListenerPolicy policy) {
        this.session = session;
        this.policy = policy;
        this.tls = new ClientTls(policy.policy() == TlsConfig.Policy.OFF ? null : session.ctx().serverTls());
    }

    /** Whether AUTH TLS is offered to this client. */
    boolean available() {
        return tls.available();
    }

    /** Whether the control connection is protected. */
    boolean active() {
        return tls.active();
    }

    /** Whether data connections are TLS (PROT P). */
    boolean protectData() {
        return tls.protectData();
    }

    /** Whether the listener requires PROT P and the client has not set it. */
    boolean dataProtectionMissing() {
        return policy.dataProtection() == TlsConfig.DataProtection.PRIVATE_REQUIRED && !tls.protectData();
    }

    /** Whether the client must secure the control connection before this command; 530 on {@code slot} if so. */
    boolean refusedForPlainText(ReplySlot slot, FtpCommand c) {
        if (policy.policy() != TlsConfig.Policy.REQUIRED || tls.active()) {
            return false;
        }
        String verb = c.verb();
        if (verb.equals("USER") || verb.equals("PASS") || verb.equals("ACCT") || Verbs.TRANSFER.contains(verb)) {
            session.replies().reply(slot, 530, "TLS is required on this server: use AUTH TLS before logging in.");
            return true;
        }
        return false;
    }

    void onCommand(ReplySlot slot, FtpCommand c) {
        String arg = c.argument().strip().toUpperCase(Locale.ROOT);
        ReplySequencer replies = session.replies();
        switch (c.verb()) {
            case "AUTH" -> {
                if (!tls.available()) {
                    replies.reply(slot, 500, "AUTH is not available: TLS is not enabled on this proxy."); // as servers without TLS answer
                } else if (tls.active()) {
                    replies.reply(slot, 503, "TLS is already active on this connection.");
                } else if (!arg.equals("TLS") && !arg.equals("SSL") && !arg.equals("TLS-C") && !arg.equals("TLS-P")) {
                    replies.reply(slot, 504, "AUTH " + arg + " is not supported; use AUTH TLS.");
                } else {
                    replies.reply(slot, 234, "AUTH " + arg + " successful.");
                    // Anything the client pipelined after AUTH was sent in clear text: never act on it.
                    session.intake().discardQueuedCommands("after AUTH before TLS");
                    commandDecoder().discardClearText();
                    startControlTls(false);
                }
            }
            case "PBSZ" -> {
                if (!tls.active()) {
                    replies.reply(slot, 503, "PBSZ needs a security exchange first (AUTH TLS).");
                } else {
                    tls.pbsz();
                    replies.reply(slot, 200, "PBSZ=0");
                }
            }
            case "PROT" -> onProt(slot, arg);
            case "CCC" -> replies.reply(slot, 534, "CCC refused: the control connection stays protected.");
            default -> replies.reply(slot, 500, c.verb() + " is not supported."); // ADAT, MIC, CONF, ENC: unknown to the servers too
        }
    }

    /**
     * After any AUTH, whoever answered it: unless this AUTH started TLS (which discarded them), the
     * client's bytes held behind it are framed as usual (see {@link FtpCommandDecoder}).
     */
    void afterAuth() {
        if (!session.isClosed()) {
            commandDecoder().resumeAfterRefusedAuth();
        }
    }

    private FtpCommandDecoder commandDecoder() {
        return (FtpCommandDecoder) session.client().pipeline().get(HandlerNames.COMMAND_DECODER);
    }

    private void onProt(ReplySlot slot, String level) {
        ReplySequencer replies = session.replies();
        if (!tls.active()) {
            replies.reply(slot, 503, "PROT needs a security exchange first (AUTH TLS).");
        } else if (!tls.pbszDone()) {
            replies.reply(slot, 503, "PROT needs PBSZ first.");
        } else if (level.equals("P")) {
            tls.protectData(true);
            replies.reply(slot, 200, "PROT now Private.");
        } else if (level.equals("C")) {
            if (policy.dataProtection() == TlsConfig.DataProtection.PRIVATE_REQUIRED) {
                replies.reply(slot, 534, "PROT C refused: this server requires protected data connections (PROT P).");
            } else {
                tls.protectData(false);
                replies.reply(slot, 200, "PROT now Clear.");
            }
        } else {
            replies.reply(slot, 536, "PROT " + level + " is not supported; use PROT P.");
        }
    }

    /** TLS on the control connection: after 234 for AUTH, at once on an implicit-FTPS listener. */
    Future<Channel> startControlTls(boolean implicit) {
        Channel client = session.client();
        return tls.start(client, implicit).addListener(f -> {
            session.ctx().metrics().tlsHandshake(ProxyMetrics.TlsSide.CLIENT_CONTROL, f.isSuccess());
            if (f.isSuccess()) {
                log.info("{} TLS on control: {}", session.id(), tls.describe(client));
            } else if (!session.isClosed()) {
                log.info("{} TLS handshake with client failed: {}", session.id(), HandshakeFailure.describe(f.cause()));
                session.close("tls_failed", "TLS handshake failed");
            }
        });
    }

    /**
     * Under PROT P, puts TLS (server role, RFC 4217) on a client data connection. {@code onAdmitted}
     * runs when the connection may join the relay: at once, or with tls.require-session-reuse once
     * its handshake has resumed the control session. One that does not (or whose handshake fails)
     * is closed and {@code onRefused} runs instead.
     */
    void secureData(Channel ch, Runnable onAdmitted, Runnable onRefused) {
        if (!tls.protectData()) {
            onAdmitted.run();
            return;
        }
        SessionContext ctx = session.ctx();
        SslHandler handler = tls.newDataHandler(ch);
        ch.pipeline().addFirst(HandlerNames.TLS, handler);
        handler.handshakeFuture().addListener(f -> {
            ctx.metrics().tlsHandshake(ProxyMetrics.TlsSide.CLIENT_DATA, f.isSuccess());
            log.debug("{} client data TLS handshake: {}", session.id(),
                    f.isSuccess() ? handler.engine().getSession().getProtocol() : f.cause().toString());
        });
        if (!ctx.config().tls().requireSessionReuse()) {
            onAdmitted.run(); // the relay takes it now; the handshake completes before any data moves
            return;
        }
        // Who it is, is known only when the handshake is over: until then it is no part of the relay,
        // so that no byte of the transfer can reach a thief or come from one.
        handler.handshakeFuture().addListener(f -> {
            if (f.isSuccess() && tls.resumedControlSession(handler)) {
                onAdmitted.run();
                return;
            }
            if (f.isSuccess()) {
                ctx.metrics().blocked(ProxyMetrics.Blocked.THEFT);
                log.warn("{} data connection from {} did not resume the control TLS session; closed",
                        session.id(), Addresses.format(ch.remoteAddress()));
                session.audit("blocked", Map.of("reason", "theft", "detail", "data connection without TLS session reuse"));
            }
            ch.close();
            onRefused.run();
        });
        ch.read(); // the handshake needs the client's hello; the relay, which would start reading, is not there yet
    }
}
