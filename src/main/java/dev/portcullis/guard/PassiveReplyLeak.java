package dev.portcullis.guard;

import dev.portcullis.ftp.FtpReply;

/**
 * Unsolicited 227/229: only the reply to the proxy's own PASV/EPSV may carry the backend's data
 * address. The same codes in answer to anything else would hand the client the backend's
 * address and port (the address NAT is there to hide), so they are never relayed.
 */
public final class PassiveReplyLeak {

    private PassiveReplyLeak() {
    }

    /** Whether {@code r}, relayed as the answer to a command other than the proxy's own PASV/EPSV, would leak. */
    public static boolean leaks(FtpReply r) {
        return r.code() == 227 || r.code() == 229;
    }
}
