package dev.portcullis.control;

import dev.portcullis.ftp.FtpCommand;
import dev.portcullis.ftp.FtpReply;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Per-user routing (balance: per-user): the backend is known only from the USER name, so the proxy
 * takes the login itself, like ProFTPD mod_proxy's PerUser. It greets the client, answers
 * {@code 331} to USER, and on PASS connects to the chosen backend and replays what the client sent:
 * the remembered pre-login commands (OPTS, CLNT, HOST), then USER, then PASS.
 *
 * <p>This class holds that state and the proxy's own answers to the few commands a client sends
 * before logging in; everything else before login gets {@code 530}.
 */
final class DeferredLogin {

    /** Pre-login commands that change how the server treats the session: kept and replayed before USER. */
    private static final java.util.Set<String> REPLAYED = java.util.Set.of("OPTS", "CLNT", "HOST");

    private FtpCommand userCommand;
    private final List<FtpCommand> replay = new ArrayList<>();

    Optional<FtpCommand> userCommand() {
        return Optional.ofNullable(userCommand);
    }

    List<FtpCommand> replay() {
        return List.copyOf(replay);
    }

    /**
     * The proxy's own answer to a command before login, or empty for USER and PASS, which the
     * session handles (PASS starts the backend connection).
     *
     * @param tls whether AUTH TLS is offered to this client
     */
    Optional<FtpReply> answer(FtpCommand c, boolean tls) {
        String verb = c.verb();
        switch (verb) {
            case "USER" -> {
                userCommand = c;
                return Optional.of(FtpReply.of(331, "Password required for " + printable(c.argumentUtf8()) + "."));
            }
            case "PASS" -> {
                return userCommand == null ? Optional.of(FtpReply.of(503, "Login with USER first.")) : Optional.empty();
            }
            case "NOOP" -> {
                return Optional.of(FtpReply.of(200, "NOOP ok."));
            }
            case "SYST" -> {
                return Optional.of(FtpReply.of(215, "UNIX Type: L8"));
            }
            case "FEAT" -> {
                return Optional.of(feat(tls));
            }
            default -> {
                if (REPLAYED.contains(verb) && replay.size() < 8) {
                    replay.add(c);
                    return Optional.of(verb.equals("HOST") ? FtpReply.of(220, "HOST accepted; it is passed on at login.")
                            : FtpReply.of(200, verb + " accepted; it is passed on at login."));
                }
                return Optional.of(FtpReply.of(530, "Please login with USER and PASS."));
            }
        }
    }

    /** What the proxy itself guarantees before login; after login FEAT goes to the backend. */
    static FtpReply feat(boolean tls) {
        List<String> lines = new ArrayList<>();
        lines.add("211-Features:");
        if (tls) {
            lines.add(" AUTH TLS");
            lines.add(" PBSZ");
            lines.add(" PROT");
        }
        lines.add(" EPRT");
        lines.add(" EPSV");
        lines.add(" PASV");
        lines.add(" UTF8");
        lines.add("211 End");
        return FtpReply.ofLines(211, lines);
    }

    private static String printable(String s) {
        String cut = s.length() > 64 ? s.substring(0, 64) : s;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
