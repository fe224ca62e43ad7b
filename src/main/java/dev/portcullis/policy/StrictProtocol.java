package dev.portcullis.policy;

import dev.portcullis.ftp.FtpCommand;
import java.util.Optional;

/**
 * policy.strict-protocol, in the spirit of Cisco ASA {@code inspect ftp strict}: what a client may
 * not do on the control connection. Pure: the session says what it received and whether a
 * PORT/EPRT/PASV/EPSV is still unanswered; this says whether that is a violation, and which.
 */
public final class StrictProtocol {

    private StrictProtocol() {
    }

    /** PORT, EPRT, PASV and EPSV: nothing may be pipelined behind them. */
    public static boolean isDataSetup(FtpCommand c) {
        return c.verb().equals("PORT") || c.verb().equals("EPRT") || c.verb().equals("PASV") || c.verb().equals("EPSV");
    }

    /**
     * @param command          the command received, or null for a line that was not one
     * @param bareLineFeed     the line ended in LF without CR
     * @param dataSetupPending a PORT/EPRT/PASV/EPSV received earlier has not been answered yet
     * @return the violation, worded for the client, or empty
     */
    public static Optional<String> violation(FtpCommand command, boolean bareLineFeed, boolean dataSetupPending) {
        if (bareLineFeed) {
            return Optional.of("commands must end in CR LF");
        }
        if (command != null && command.verb().length() == 3 && command.verb().chars().allMatch(Character::isDigit)) {
            return Optional.of("a client may not send replies (" + command.verb() + ")");
        }
        if (dataSetupPending) {
            return Optional.of("no command may follow PORT, EPRT, PASV or EPSV before its reply");
        }
        return Optional.empty();
    }
}
