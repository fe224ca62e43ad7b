package dev.portcullis.policy;

import dev.portcullis.ftp.FtpCommand;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Commands refused by configuration: a denied verb ("DELE") or verb and first argument word
 * ("SITE EXEC"), and optionally anonymous logins. Refusals are the proxy's own replies; the
 * backend never sees the command.
 */
public final class CommandPolicy {

    private static final Set<String> ANONYMOUS = Set.of("ANONYMOUS", "FTP");

    private final List<String> denied;
    private final boolean denyAnonymous;

    public CommandPolicy(List<String> deniedCommands, boolean denyAnonymous) {
        this.denied = deniedCommands.stream().map(d -> d.strip().replaceAll("\\s+", " ").toUpperCase(Locale.ROOT)).toList();
        this.denyAnonymous = denyAnonymous;
    }

    public Verdict check(FtpCommand c) {
        String verb = c.verb();
        String sub = c.argument().strip().split("\\s+", 2)[0].toUpperCase(Locale.ROOT);
        for (String d : denied) {
            if (d.equals(verb) || d.equals(verb + " " + sub)) {
                return Verdict.refuse(550, d + " is not allowed here.", "policy");
            }
        }
        if (denyAnonymous && verb.equals("USER") && ANONYMOUS.contains(c.argument().strip().toUpperCase(Locale.ROOT))) {
            return Verdict.refuse(530, "Anonymous login is not allowed here.", "policy");
        }
        return Verdict.allow();
    }
}
