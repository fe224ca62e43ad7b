package dev.portcullis.control;

import dev.portcullis.audit.TransferRecord;
import dev.portcullis.data.relay.DataRelay;
import dev.portcullis.data.setup.DataSetup;
import dev.portcullis.ftp.FtpCommand;
import dev.portcullis.ftp.FtpReply;
import dev.portcullis.metrics.ProxyMetrics;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transfer commands of one session (RETR, STOR, LIST, ...): the data setup each takes, the
 * backend's final reply held until every byte is relayed (a client must never see 226 while data
 * is in flight), 426 instead of success when bytes were lost, ABOR, and the transfer's log line,
 * meters and audit record.
 */
final class TransferTracker {

    private static final Logger log = LoggerFactory.getLogger("portcullis.session");

    /** A transfer command in flight: its data setup and, once known, the backend's final reply. */
    private static final class Transfer {
        final FtpCommand command;
        final ReplySlot slot;
        final DataSetup setup;
        final long startNanos = System.nanoTime();
        boolean started;
        FtpReply finalReply;

        Transfer(FtpCommand command, ReplySlot slot, DataSetup setup) {
            this.command = command;
            this.slot = slot;
            this.setup = setup;
        }
    }

    private final ControlSession session;
    private final SessionContext ctx;
    private Transfer transfer;
    private long finished;
    private long started;
    private boolean binaryType;

    TransferTracker(ControlSession session) {
        this.session = session;
        this.ctx = session.ctx();
    }

    boolean running() {
        return transfer != null;
    }

    /** Whether {@code s} is the setup of the running transfer. */
    boolean isRunning(DataSetup s) {
        return transfer != null && transfer.setup == s;
    }

    /** The slot of the running transfer once its preliminary reply is out, else null. */
    ReplySlot startedSlot() {
        return transfer != null && transfer.started ? transfer.slot : null;
    }

    /** The slot of the running transfer, else null. */
    ReplySlot slot() {
        return transfer == null ? null : transfer.slot;
    }

    /** Whether data is moving for the running transfer (or the kernel moves it, unseen). */
    boolean dataMoving() {
        return transfer != null && (transfer.setup.inKernel()
                || transfer.setup.relay().isEngaged() && !transfer.setup.relay().isDone());
    }

    /** Whether the running transfer's relay is still moving data (the data connections have their own idle limit). */
    boolean relaying() {
        return transfer != null && !transfer.setup.relay().isDone();
    }

    /** The running transfer for the admin API, or null. */
    SessionView.Transfer view() {
        if (transfer == null) {
            return null;
        }
        DataRelay relay = transfer.setup.relay();
        String path = transfer.command.argument().isEmpty() ? "-" : transfer.command.argumentUtf8();
        return new SessionView.Transfer(transfer.command.verb(), path,
                transfer.setup.inKernel() ? -1 : relay.bytesBackendToClient() + relay.bytesClientToBackend(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - transfer.startNanos));
    }

    long finishedCount() {
        return finished;
    }

    void onType(ReplySlot slot, FtpCommand c) {
        session.forward(c, r -> {
            if (r.code() == 200) {
                String type = c.argument().strip().toUpperCase(Locale.ROOT);
                binaryType = type.startsWith("I") || type.startsWith("L");
            }
            session.passThrough(slot, r);
        });
    }

    void onTransfer(ReplySlot slot, FtpCommand c) {
        DataChannelBroker data = session.data();
        ReplySequencer replies = session.replies();
        if (session.security().dataProtectionMissing()) {
            data.discardSetup();
            replies.reply(slot, 521, "Data connections must be protected: use PBSZ 0 and PROT P.");
            return;
        }
        DataSetup ready = data.readySetup();
        if (ready == null) {
            data.discardSetup();
            replies.reply(slot, 425, "Use PASV, EPSV, PORT or EPRT first.");
            return;
        }
        int maxTransfers = ctx.config().limits().maxTransfersPerSession();
        if (maxTransfers > 0 && started >= maxTransfers) {
            data.discardSetup();
            ctx.metrics().blocked(ProxyMetrics.Blocked.LIMIT);
            log.info("{} transfer refused: limit of {} per session reached", session.id(), maxTransfers);
            replies.reply(slot, 450, "Transfer limit reached (" + maxTransfers + " per session); reconnect to continue.");
            return;
        }
        if (ready.inKernel() && session.security().protectData()) {
            data.discardSetup(); // the kernel would carry the client's TLS to a backend port that expects plain data
            replies.reply(slot, 425, "Data protection changed after PASV/EPSV; send PASV or EPSV again.");
            return;
        }
        started++;
        Transfer t = new Transfer(c, slot, data.takeSetup()); // one-shot: the next transfer needs a new PASV/PORT
        transfer = t;
        if (t.setup.inKernel()) {
            session.forward(c, r -> onReply(t, r));
            return; // no relay: the backend's final reply ends the transfer
        }
        // The relay learns whose end of stream ends the data (a download's client may half-close early).
        t.setup.relay().receiver(receiver(direction(c)));
        t.setup.relay().onDone(r -> {
            if (t.finalReply != null) {
                finish(t);
            }
        });
        session.forward(c, r -> onReply(t, r));
        if (t.setup.clientMode() == DataSetup.ClientMode.ACTIVE) {
            data.backendSide().connectIfDue(t.setup);
        }
    }

    private void onReply(Transfer t, FtpReply r) {
        if (r.isPreliminary()) {
            t.started = true;
            session.replies().preliminary(t.slot, r);
            if (t.setup.clientMode() == DataSetup.ClientMode.ACTIVE && !t.setup.relay().isDone()) {
                // The backend started the transfer: now call the client. Not when the backend's data
                // connection has failed already: the client would see an empty transfer before the
                // backend's 4xx, instead of that 4xx (curl's tests 1206, 1207).
                session.data().connectClient(t.setup);
            }
            return;
        }
        t.finalReply = r;
        if (t.setup.inKernel()) {
            finish(t);
            return;
        }
        DataRelay relay = t.setup.relay();
        // On success, hold the reply until every byte is relayed. On anything else (a failure, or
        // a reply no transfer ends with, as curl's test server's 314 to RETR), or when no data
        // connection ever came, stop now.
        if (!r.isPositiveCompletion() || !relay.isEngaged()) {
            relay.abort();
        }
        if (relay.isDone()) {
            finish(t);
        }
    }

    private void finish(Transfer t) {
        if (transfer != t) {
            return;
        }
        transfer = null;
        finished++;
        DataRelay relay = t.setup.relay();
        FtpReply reply = t.finalReply;
        ProxyMetrics.Direction direction = direction(t.command);
        DataRelay.Side receiver = receiver(direction);
        boolean inKernel = t.setup.inKernel();
        boolean failed = !reply.isPositiveCompletion() || relay.wasAborted() || relay.lostBytesTowards(receiver);
        if (!inKernel && t.setup.tlsRefused() && failed) {
            // Say why, as vsftpd does: the client's data connection was there, its TLS was refused.
            reply = FtpReply.of(522, "SSL connection failed: session reuse required (the data connection must resume"
                    + " the control connection's TLS session).");
        } else if (!inKernel && t.setup.clientNeverCame()) {
            // The backend's answer (a 426 for the reset it got, or even a 226) is not the story: the client never came.
            reply = FtpReply.of(425, "Can't open data connection: no connection to the passive port within "
                    + ctx.config().timeouts().expectation().toSeconds() + " s.");
        } else if (!inKernel && (relay.wasAborted() || relay.lostBytesTowards(receiver)) && reply.isPositiveCompletion()) {
            // The backend finished, but the proxy could not deliver every byte: never report that as success.
            reply = FtpReply.of(426, "Connection closed; transfer aborted: the data connection failed.");
        }
        t.setup.close();
        report(t, relay, reply, direction, inKernel);
        session.replies().complete(t.slot, reply);
        session.afterTransfer();
    }

    private static ProxyMetrics.Direction direction(FtpCommand c) {
        return switch (c.verb()) {
            case "RETR" -> ProxyMetrics.Direction.DOWNLOAD;
            case "STOR", "STOU", "APPE" -> ProxyMetrics.Direction.UPLOAD;
            default -> ProxyMetrics.Direction.LISTING;
        };
    }

    /** The side a transfer's data goes to. */
    private static DataRelay.Side receiver(ProxyMetrics.Direction direction) {
        return direction == ProxyMetrics.Direction.UPLOAD ? DataRelay.Side.BACKEND : DataRelay.Side.CLIENT;
    }

    private void report(Transfer t, DataRelay relay, FtpReply reply, ProxyMetrics.Direction direction, boolean inKernel) {
        String mode = t.setup.clientMode().name().toLowerCase(Locale.ROOT);
        // Bytes the kernel forwarded never pass through the proxy: it counts none (the backend's own log has them).
        long bytes = relay.bytesBackendToClient() + relay.bytesClientToBackend();
        long millis = TimeUnit.NANOSECONDS.toMillis(inKernel ? System.nanoTime() - t.startNanos : relay.elapsedNanos());
        String path = t.command.argument().isEmpty() ? "-" : t.command.argumentUtf8();
        log.info("{} transfer {} {} bytes={} ms={} mode={} relay={} result={}", session.id(), t.command.verb(), path,
                inKernel ? "-" : bytes, millis, mode, inKernel ? "kernel" : relay.zeroCopied() ? "splice" : "copy", reply.code());
        ctx.metrics().transfer(direction, mode, reply.isPositiveCompletion(), relay.bytesClientToBackend(), relay.bytesBackendToClient());
        if (!ctx.audit().enabled()) {
            return;
        }
        LoginRouter login = session.login();
        ctx.audit().transfer(new TransferRecord(Instant.now(), millis, session.id(),
                session.clientAddress().getHostAddress(), String.valueOf(login.user()), login.isAnonymous(), t.command.verb(), path, bytes,
                direction.name().toLowerCase(Locale.ROOT), mode, session.security().protectData(), binaryType,
                reply.isPositiveCompletion(), reply.code()));
    }

    void onAbort(ReplySlot slot, FtpCommand c) {
        if (transfer != null) {
            // Closing both data connections stops the backend at once even where it would only
            // notice ABOR as urgent data, which a proxy cannot send; the backend then answers
            // the transfer (426) and the ABOR (226) in order.
            transfer.setup.relay().abort();
        }
        session.forward(c, r -> session.passThrough(slot, r));
    }

    /** The session ends: the running transfer's data connections close. */
    void close() {
        if (transfer != null) {
            Transfer t = transfer;
            transfer = null;
            t.setup.close();
            // Every transfer that started ends in exactly one record: one cut short by the end of
            // the session is a failure (vsftpd logs it as FAIL), never silence.
            report(t, t.setup.relay(), FtpReply.of(426, "Connection closed; transfer aborted: the session ended."),
                    direction(t.command), t.setup.inKernel());
        }
    }
}
