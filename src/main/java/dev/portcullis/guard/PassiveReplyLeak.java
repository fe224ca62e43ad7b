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

    /** Whether {@code r}, relayed from the backend, would leak (227 PASV, 228 LPSV, 229 EPSV). */
    public static boolean leaks(FtpReply r) {
        return r.code() == 227 || r.code() == 228 || r.code() == 229;
    }
}
