package dev.portcullis.control;

import dev.portcullis.ftp.FtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A session as its reply sequencer and its backend channel see it: their questions and events, answered by the session. */
final class SessionHooks implements ReplySequencer.Session, BackendChannel.Session {

    private static final Logger log = LoggerFactory.getLogger("portcullis.session");

    private final ControlSession session;

    SessionHooks(ControlSession session) {
        this.session = session;
    }

    @Override
    public boolean isClosed() {
        return session.isClosed();
    }

    @Override
    public ReplySlot runningTransferSlot() {
        return session.transfers().startedSlot();
    }

    @Override
    public void closeAfterReply(String outcome) {
        session.close(outcome, outcome.equals("quit") ? "QUIT" : "closed after the reply");
    }

    @Override
    public void afterFlush() {
        session.intake().drain();
    }

    @Override
    public void passiveReplyWithheld(FtpReply r) {
        session.ctx().metrics().protocolViolation();
        log.warn("{} backend sent {} out of turn; not relayed", session.id(), r.code());
    }

    @Override
    public boolean transferRunning() {
        return session.transfers().running();
    }

    @Override
    public boolean dataMoving() {
        return session.transfers().dataMoving();
    }

    @Override
    public void onReplyTimeout(String what, long millis) {
        log.warn("{} backend did not answer {} within {} ms", session.id(), what, millis);
        session.closeWith(421, "Service not available: the FTP server did not answer in time.", "backend_timeout");
    }

    @Override
    public void onUnsolicitedReply(FtpReply r) {
        if (r.code() == 421) {
            session.closeWith(421, r.text(), "backend_closed");
        } else {
            session.ctx().metrics().protocolViolation();
            log.warn("{} dropped an unsolicited reply from the backend: {}", session.id(), r.lines().get(0));
        }
    }

    @Override
    public void onBackendClosed() {
        if (!session.isClosed()) {
            session.closeWith(421, "Service not available: the FTP server closed the connection.", "backend_closed");
        }
    }

    @Override
    public void onBackendError(Throwable cause) {
        if (!session.isClosed()) {
            session.ctx().metrics().protocolViolation();
            log.warn("{} backend control error: {}", session.id(), cause.getMessage());
            session.closeWith(421, "Service not available: the FTP server sent an invalid reply.", "backend_error");
        }
    }
}
