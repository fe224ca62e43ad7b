package dev.portcullis.guard;

import dev.portcullis.ftp.FtpReply;

/**
 * Unsolicited 227/228/229: only the proxy's own answer to the client's PASV/EPSV (with the
 * proxy's address) may be a passive-mode reply. The same codes from the backend, whatever they
 * answer (the greeting, another command, the proxy's own EPSV towards the backend, or nothing)
 * would hand the client the backend's data address and port (the address NAT is there to hide),
 * so they are never relayed.
 */
public final class PassiveReplyLeak {

    private PassiveReplyLeak() {
    }

    /**
     * Whether {@code r}, relayed from the backend, would leak: its code is 227 (PASV), 228 (LPSV)
     * or 229 (EPSV), or one of its lines reads as such a reply (a multi-line greeting or STAT
     * reply may carry one inside, found by BackendReplyFuzzIT).
     */
    public static boolean leaks(FtpReply r) {
        if (isPassiveCode(r.code())) {
            return true;
        }
        for (String line : r.lines()) {
            boolean replyLine = line.length() >= 4 && (line.charAt(3) == ' ' || line.charAt(3) == '-');
            if (replyLine && (line.startsWith("227") || line.startsWith("228") || line.startsWith("229"))) {
                return true;
            }
        }
        return false;
    }

    private static boolean isPassiveCode(int code) {
        return code == 227 || code == 228 || code == 229;
    }
}
