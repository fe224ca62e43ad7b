package dev.portcullis.control;

import dev.portcullis.ftp.FtpReply;
import java.util.ArrayList;
import java.util.List;

/**
 * The place of one client command in the reply stream. Replies reach the client strictly in
 * command order, exactly one final reply per command, whether the proxy answers a command itself
 * or the backend does (a proxy that answers some commands locally must not let replies overtake).
 */
final class ReplySlot {

    final List<FtpReply> replies = new ArrayList<>(1);
    boolean done;
    /** Close the session after this reply, with this outcome (a metrics tag); null: stay open. */
    String closeOutcome;
    /** Sent while a transfer ran (STAT, NOOP, ABOR): may be answered before the transfer's final reply. */
    boolean overtaking;
    /** The answer to PORT/EPRT/PASV/EPSV: in strict mode nothing may be pipelined behind it. */
    boolean dataSetup;
    /** Answered by the backend's greeting ({@link ReplySequencer#greeting}): a reply that cannot be relayed closes the session (421). */
    boolean greeting;
}
