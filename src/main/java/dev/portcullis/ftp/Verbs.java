package dev.portcullis.ftp;

import java.util.Set;

/** Groups of FTP verbs the proxy treats alike. */
public final class Verbs {

    /** Commands that open a data connection (RFC 959, 3659 MLSD). */
    public static final Set<String> TRANSFER = Set.of("RETR", "STOR", "STOU", "APPE", "LIST", "NLST", "MLSD");

    /**
     * Commands an FTP server refuses before login with {@code 530}: the proxy answers them the same
     * way itself instead of setting up data ports or answering with a 425 no server would send.
     */
    public static final Set<String> NEED_LOGIN = Set.of("RETR", "STOR", "STOU", "APPE", "LIST", "NLST", "MLSD",
            "PASV", "EPSV", "PORT", "EPRT", "LPRT", "LPSV");

    /** Commands the client may send while a transfer is under way. */
    public static final Set<String> DURING_TRANSFER = Set.of("ABOR", "STAT", "NOOP");

    /** RFC 2228 security commands: the core proxy does not terminate TLS, so it refuses them itself. */
    public static final Set<String> SECURITY = Set.of("AUTH", "ADAT", "PBSZ", "PROT", "CCC", "MIC", "CONF", "ENC");

    /** RFC 1639 long-address commands, superseded by EPRT/EPSV and not relayed. */
    public static final Set<String> LONG_ADDRESS = Set.of("LPRT", "LPSV");

    private Verbs() {
    }
}
