package dev.portcullis.control;

import dev.portcullis.ftp.FtpCommand;
import dev.portcullis.ftp.Verbs;
import dev.portcullis.metrics.ProxyMetrics;
import dev.portcullis.policy.StrictProtocol;
import dev.portcullis.policy.Verdict;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's commands as they arrive: strict-protocol checks, the queue of commands pipelined
 * ahead of their replies (reading stops while it is full), taking them one at a time (ABOR, STAT
 * and NOOP may overtake a running transfer), and the checks every command passes before its verb's
 * handler in {@link CommandTable} runs: framing errors, TLS policy, command policy, security
 * commands, the proxy's own login under per-user routing.
 */
final class CommandIntake {

    private static final Logger log = LoggerFactory.getLogger("portcullis.session");
    private static final int MAX_QUEUED_COMMANDS = 32;

    private final ControlSession session;
    private final Deque<Object> queued = new ArrayDeque<>();
    private long dispatchedNanos;
    private boolean draining;
    private int badLines;

    CommandIntake(ControlSession session) {
        this.session = session;
    }

    /** Time since the command being handled was taken: what the proxy adds to it. */
    long nanosSinceDispatch() {
        return System.nanoTime() - dispatchedNanos;
    }

    void onClientMessage(Object msg) {
        if (session.isClosed()) {
            return;
        }
        if (session.ctx().config().commands().strictProtocol() && strictViolation(msg)) {
            return;
        }
        queued.add(msg);
        if (queued.size() >= MAX_QUEUED_COMMANDS) {
            session.client().config().setAutoRead(false); // a client pipelining too far ahead waits for replies
        }
        drain();
    }

    /**
     * Strict protocol (policy.strict-protocol), in the spirit of Cisco ASA {@code inspect ftp strict}:
     * a command pipelined behind an unanswered PORT/EPRT/PASV/EPSV, a line ending in a bare LF, or
     * a client line that looks like a reply (a client faking {@code 227}) closes the session with 421.
     */
    private boolean strictViolation(Object msg) {
        boolean pending = session.replies().dataSetupPending() || queued.stream().anyMatch(CommandIntake::isDataSetup);
        Optional<String> what = StrictProtocol.violation(msg instanceof FtpCommand c ? c : null, msg == CommandFrameError.BARE_LF, pending);
        if (what.isEmpty()) {
            return false;
        }
        session.ctx().metrics().blocked(ProxyMetrics.Blocked.POLICY);
        log.info("{} strict protocol violation: {}", session.id(), what.get());
        session.audit("blocked", Map.of("reason", "strict", "detail", what.get()));
        session.closeWith(421, "Protocol violation: " + what.get() + ".", "bad_input");
        return true;
    }

    private static boolean isDataSetup(Object msg) {
        return msg instanceof FtpCommand c && StrictProtocol.isDataSetup(c);
    }

    /** Commands the client sent in clear text after AUTH, before TLS: never acted on. */
    void discardQueuedCommands(String why) {
        if (!queued.isEmpty()) {
            log.warn("{} discarded {} command(s) sent {}", session.id(), queued.size(), why);
            queued.clear();
        }
    }

    void drain() {
        if (draining) {
            return;
        }
        draining = true;
        try {
            while (!session.isClosed() && !queued.isEmpty() && canDispatch(queued.peek())) {
                dispatch(queued.poll());
            }
        } finally {
            draining = false;
        }
        if (!session.isClosed() && (session.connector().backend() != null || session.login().deferred()) && queued.size() < MAX_QUEUED_COMMANDS / 2) {
            session.client().config().setAutoRead(true);
        }
    }

    private boolean canDispatch(Object next) {
        if (session.replies().isEmpty()) {
            return true;
        }
        // While a transfer runs the client may abort it or ask for its status.
        ReplySlot transfer = session.transfers().slot();
        return transfer != null && session.replies().isHead(transfer) && session.replies().size() < 4
                && next instanceof FtpCommand c && Verbs.DURING_TRANSFER.contains(c.verb());
    }

    private void dispatch(Object msg) {
        dispatchedNanos = System.nanoTime();
        ReplySlot slot = session.replies().newSlot();
        slot.dataSetup = isDataSetup(msg);
        if (msg instanceof CommandFrameError error) {
            onBadLine(slot, error);
            return;
        }
        FtpCommand c = (FtpCommand) msg;
        log.debug("{} > {}", session.id(), c.loggable());
        String verb = c.verb();
        try {
            dispatchCommand(slot, c, verb);
        } finally {
            if (verb.equals("AUTH")) {
                session.security().afterAuth();
            }
        }
    }

    private void dispatchCommand(ReplySlot slot, FtpCommand c, String verb) {
        if (c.line().length == 0) {
            session.replies().reply(slot, 500, "Empty command.");
        } else if (!c.verbWellFormed()) {
            // Never relayed: a server might read a verb out of it other than the one judged here.
            onBadLine(slot, "Syntax error: a command starts with its verb, made of letters only.");
        } else if (session.security().refusedForPlainText(slot, c) || refusedByPolicy(slot, c)) {
            return;
        } else if (Verbs.SECURITY.contains(verb)) {
            session.security().onCommand(slot, c);
        } else if (session.login().deferred()) {
            session.login().beforeLogin(slot, c);
        } else if (!session.login().loggedIn() && Verbs.NEED_LOGIN.contains(verb)) {
            session.replies().reply(slot, 530, LoginRouter.PLEASE_LOGIN);
        } else {
            CommandTable.handlerFor(verb).handle(session, slot, c);
        }
    }

    private void onBadLine(ReplySlot slot, CommandFrameError error) {
        onBadLine(slot, switch (error) {
            case TOO_LONG -> "Command line too long (the limit is " + session.ctx().config().limits().maxLineLength() + " bytes).";
            case NUL_BYTE -> "NUL bytes are not allowed in commands.";
            case BARE_LF -> "Commands must end in CR LF.";
            case STRAY_CR -> "A CR is allowed only before the LF that ends a command.";
            case LITERAL_IAC -> "Byte 0xFF (Telnet IAC) is not allowed in commands.";
        });
    }

    private void onBadLine(ReplySlot slot, String text) {
        badLines++;
        if (badLines >= session.ctx().config().limits().maxBadLines()) {
            log.info("{} too many invalid command lines ({})", session.id(), badLines);
            slot.closeOutcome = "bad_input";
            session.ctx().metrics().blocked(ProxyMetrics.Blocked.LIMIT);
            session.replies().reply(slot, 421, text + " Too many invalid commands: closing control connection.");
            return;
        }
        session.replies().reply(slot, 500, text);
    }

    /** Commands refused by configuration (policy.deny-commands, policy.deny-anonymous). */
    private boolean refusedByPolicy(ReplySlot slot, FtpCommand c) {
        Verdict v = session.ctx().commandPolicy().check(c);
        if (v.allowed()) {
            return false;
        }
        session.ctx().metrics().blocked(ProxyMetrics.Blocked.POLICY);
        log.info("{} refused by policy: {}", session.id(), c.loggable());
        session.audit("blocked", Map.of("reason", "policy", "detail", c.verb()));
        session.replies().reply(slot, v.replyCode(), v.replyText());
        return true;
    }
}
