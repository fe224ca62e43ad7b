package dev.portcullis.control;

import dev.portcullis.ftp.FtpReply;
import dev.portcullis.guard.PassiveReplyLeak;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;

/**
 * The client's reply stream: one {@link ReplySlot} per command, replies written strictly in command
 * order, whether the proxy answers a command itself or the backend does. The one exception is the
 * one a client expects: while a transfer runs (its preliminary reply out), STAT, NOOP and ABOR
 * admitted behind it are answered before the transfer's final reply.
 */
final class ReplySequencer {

    /** What the sequencer needs to know of its session. */
    interface Session {
        boolean isClosed();

        /** The slot of a transfer whose preliminary reply is out, or null. */
        ReplySlot runningTransferSlot();

        /** A slot with a close outcome was written: close the session. */
        void closeAfterReply(String outcome);

        /** Replies were written: more commands may be taken. */
        void afterFlush();

        /** A backend reply was replaced because it would have leaked the backend's data address. */
        default void passiveReplyWithheld(FtpReply r) {
        }
    }

    private final Channel client;
    private final Session session;
    private final Deque<ReplySlot> slots = new ArrayDeque<>();

    ReplySequencer(Channel client, Session session) {
        this.client = client;
        this.session = session;
    }

    /** A place in the reply stream for the command taken now. */
    ReplySlot newSlot() {
        ReplySlot s = new ReplySlot();
        s.overtaking = !slots.isEmpty(); // admitted while another command is unanswered: a transfer runs
        slots.add(s);
        return s;
    }

    boolean isEmpty() {
        return slots.isEmpty();
    }

    int size() {
        return slots.size();
    }

    /** Whether {@code slot} is the oldest unanswered one. */
    boolean isHead(ReplySlot slot) {
        return slots.peekFirst() == slot;
    }

    /** Whether a PORT/EPRT/PASV/EPSV is still unanswered (strict mode pipelines nothing behind one). */
    boolean dataSetupPending() {
        for (ReplySlot s : slots) {
            if (s.dataSetup) {
                return true;
            }
        }
        return false;
    }

    void reply(ReplySlot slot, int code, String text) {
        complete(slot, FtpReply.of(code, text));
    }

    void preliminary(ReplySlot slot, FtpReply r) {
        slot.replies.add(withheldIfLeaking(slot, r));
        flush();
    }

    /** The final reply to {@code slot}'s command: the backend's, or the proxy's own (never a passive-mode reply, see {@link #passiveReply}). */
    void complete(ReplySlot slot, FtpReply r) {
        FtpReply sent = withheldIfLeaking(slot, r);
        if (sent.code() == 421 && slot.closeOutcome == null) {
            // 421 means the service is closing the connection (RFC 959): a backend's 421 relayed
            // with the session left open would leave the client waiting for a close (BackendReplyFuzzIT).
            slot.closeOutcome = "backend_closed";
        }
        slot.replies.add(sent);
        slot.done = true;
        flush();
    }

    /** The backend's greeting relayed to the client: one that cannot be relayed ends the session with 421. */
    void greeting(ReplySlot slot, FtpReply r) {
        slot.greeting = true;
        complete(slot, r);
    }

    /** The proxy's own 227/229 to the client's PASV/EPSV, with the proxy's address: the one passive-mode reply that goes out. */
    void passiveReply(ReplySlot slot, FtpReply r) {
        slot.replies.add(r);
        slot.done = true;
        flush();
    }

    /**
     * Every reply reaches the client through here, so this is where the backend's data address is
     * stopped, whichever path brought it. A 227/228/229 from the backend becomes 451 (the server's
     * answer is unknown, the command may or may not have had its effect, the client may go on), or
     * for a greeting 421 and a close (a client cannot log in on a server that greets with anything
     * but 220). Any other reply with a passive-mode line inside keeps its code, the class the
     * client acts on, and loses its text.
     */
    private FtpReply withheldIfLeaking(ReplySlot slot, FtpReply r) {
        if (PassiveReplyLeak.isPassiveCode(r.code())) {
            session.passiveReplyWithheld(r);
            if (slot.greeting) {
                slot.closeOutcome = "backend_unavailable";
                return FtpReply.of(421, "Service not available: the FTP server sent an unexpected greeting.");
            }
            return FtpReply.of(451, "Requested action aborted: the FTP server sent an unexpected reply.");
        }
        if (PassiveReplyLeak.carriesPassiveLine(r)) {
            session.passiveReplyWithheld(r);
            return FtpReply.of(r.code(), "Reply text withheld: it carried the FTP server's data address.");
        }
        return r;
    }

    private void flush() {
        if (session.isClosed()) {
            return;
        }
        boolean wrote = false;
        while (!slots.isEmpty()) {
            ReplySlot head = slots.peekFirst();
            wrote |= write(head);
            if (!head.done) {
                break;
            }
            slots.pollFirst();
            if (head.closeOutcome != null) {
                client.flush();
                session.closeAfterReply(head.closeOutcome);
                return;
            }
        }
        // Commands admitted during a transfer (STAT, NOOP) are answered while it runs, as a client
        // expects; the transfer's own final reply still comes after its preliminary one.
        ReplySlot transfer = session.runningTransferSlot();
        if (!slots.isEmpty() && transfer != null && slots.peekFirst() == transfer) {
            for (Iterator<ReplySlot> it = slots.iterator(); it.hasNext(); ) {
                ReplySlot s = it.next();
                if (s == transfer) {
                    continue;
                }
                if (!s.overtaking || !s.done) {
                    break;
                }
                wrote |= write(s);
                it.remove();
            }
        }
        if (wrote) {
            client.flush();
        }
        session.afterFlush();
    }

    private boolean write(ReplySlot slot) {
        for (FtpReply r : slot.replies) {
            client.write(Unpooled.wrappedBuffer(r.raw()));
        }
        boolean wrote = !slot.replies.isEmpty();
        slot.replies.clear();
        return wrote;
    }
}
