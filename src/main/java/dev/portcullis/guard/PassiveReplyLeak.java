package dev.portcullis.guard;

import dev.portcullis.ftp.FtpReply;

/**
 * Backend passive-mode replies: only the proxy's own answer to the client's PASV/EPSV (with the
 * proxy's address) may be one. A 227/228/229 from the backend, whatever it answers (the greeting,
 * another command, the proxy's own EPSV towards the backend, or nothing), or a line reading as
 * one inside another reply, would hand the client the backend's data address and port (the
 * address NAT is there to hide), so neither is relayed.
 */
public final class PassiveReplyLeak {

    private PassiveReplyLeak() {
    }

    /** Whether {@code code} is a passive-mode reply: 227 (PASV), 228 (LPSV) or 229 (EPSV). */
    public static boolean isPassiveCode(int code) {
        return code == 227 || code == 228 || code == 229;
    }

    /**
     * Whether one of the lines of {@code r} reads as a passive-mode reply ("227 ..." or "229-...")
     * whatever the reply's own code: a multi-line greeting or STAT reply may carry one inside
     * (found by BackendReplyFuzzIT).
     */
    public static boolean carriesPassiveLine(FtpReply r) {
        for (String line : r.lines()) {
            boolean replyLine = line.length() >= 4 && (line.charAt(3) == ' ' || line.charAt(3) == '-');
            if (replyLine && (line.startsWith("227") || line.startsWith("228") || line.startsWith("229"))) {
                return true;
            }
        }
        return false;
    }
}
