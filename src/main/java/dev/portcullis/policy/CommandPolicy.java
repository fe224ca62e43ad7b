package dev.portcullis.policy;

import dev.portcullis.ftp.FtpCommand;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Commands refused by configuration: a denied verb ("DELE") or verb and first argument word
 * ("SITE EXEC"); with an allow list, everything it does not name (a verb, or a verb and first word
 * such as "SITE CHMOD"); and optionally anonymous logins. The deny list wins over the allow list.
 * Login, TLS set-up, QUIT, NOOP, FEAT and ABOR are never caught by an allow list. Refusals are the
 * proxy's own replies; the backend never sees the command.
 */
public final class CommandPolicy {

    private static final Set<String> ANONYMOUS = Set.of("ANONYMOUS", "FTP");

    /** What a session needs whatever the allow list says: logging in, securing the connection, leaving. */
    private static final Set<String> ALWAYS = Set.of("USER", "PASS", "ACCT", "AUTH", "PBSZ", "PROT", "QUIT", "NOOP", "FEAT", "ABOR");

    /** Compiled once: {@code String.split("\\s+")} would compile it again for every command. */
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");

    private final List<String> denied;
    private final boolean denyAnonymous;
    private final Set<String> allowed;

    public CommandPolicy(List<String> deniedCommands, boolean denyAnonymous) {
        this(deniedCommands, denyAnonymous, List.of());
    }

    /** @param allowedCommands empty: every command not denied is allowed */
    public CommandPolicy(List<String> deniedCommands, boolean denyAnonymous, List<String> allowedCommands) {
        this.denied = deniedCommands.stream().map(CommandPolicy::normalize).toList();
        this.denyAnonymous = denyAnonymous;
        this.allowed = Set.copyOf(allowedCommands.stream().map(CommandPolicy::normalize).toList());
    }

    private static String normalize(String entry) {
        return WHITESPACE.matcher(entry.strip()).replaceAll(" ").toUpperCase(Locale.ROOT);
    }

    public Verdict check(FtpCommand c) {
        String verb = c.verb();
        if (denied.isEmpty() && allowed.isEmpty()) {
            return denyAnonymous ? checkAnonymous(c, verb) : Verdict.allow();
        }
        String sub = WHITESPACE.split(c.argument().strip(), 2)[0].toUpperCase(Locale.ROOT);
        for (String d : denied) {
            if (d.equals(verb) || d.equals(verb + " " + sub)) {
                return Verdict.refuse(550, d + " is not allowed here.", "policy");
            }
        }
        if (!allowed.isEmpty() && !ALWAYS.contains(verb) && !allowed.contains(verb) && !allowed.contains(verb + " " + sub)) {
            return Verdict.refuse(550, (sub.isEmpty() || !verb.equals("SITE") ? verb : verb + " " + sub) + " is not allowed here.", "policy");
        }
        return denyAnonymous ? checkAnonymous(c, verb) : Verdict.allow();
    }

    /**
     * The name is the argument's first word: servers differ in whether "USER anonymous x" logs in
     * as "anonymous" (a server that reads words) or as "anonymous x", so either is refused.
     */
    private static Verdict checkAnonymous(FtpCommand c, String verb) {
        if (verb.equals("USER") && ANONYMOUS.contains(WHITESPACE.split(c.argument().strip(), 2)[0].toUpperCase(Locale.ROOT))) {
            return Verdict.refuse(530, "Anonymous login is not allowed here.", "policy");
        }
        return Verdict.allow();
    }
}
