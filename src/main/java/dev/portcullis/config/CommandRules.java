package dev.portcullis.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * @param denyCommands     verbs, or verb and first argument word, refused with 550 (default: SITE EXEC)
 * @param denyAnonymous    refuse USER anonymous/ftp with 530
 * @param banAfterFailures failed logins from one address within {@code banWindow} that ban it (0: off)
 * @param banWindow        the window those failures are counted in
 * @param banTime          how long a ban lasts
 * @param banFile          where bans are kept across restarts (empty: memory only)
 * @param strictProtocol   in the spirit of Cisco ASA {@code inspect ftp strict}: commands must end in CRLF,
 *                         nothing may be pipelined behind PORT/EPRT/PASV/EPSV, and a client line that looks
 *                         like a reply ({@code 227 ...}) is refused; a violation closes the session with 421
 * @param allowCommands    when not empty, the only verbs (or verbs and first words) allowed besides login,
 *                         TLS set-up, QUIT, NOOP, FEAT and ABOR; others get 550
 */
public record CommandRules(List<String> denyCommands, boolean denyAnonymous, @Range(min = 0, max = 1_000_000) int banAfterFailures, Duration banWindow,
                           Duration banTime, @FileAccess(FileAccess.Kind.WRITE) Optional<Path> banFile, boolean strictProtocol, List<String> allowCommands) {

    public static final List<String> DEFAULT_DENIED = List.of("SITE EXEC");

    public CommandRules {
        denyCommands = List.copyOf(denyCommands);
        allowCommands = List.copyOf(allowCommands);
    }

    /** Command rules with the default ban settings (10 failures in 10 minutes: 15 minutes, in memory). */
    public CommandRules(List<String> denyCommands, boolean denyAnonymous) {
        this(denyCommands, denyAnonymous, 10, Duration.ofMinutes(10), Duration.ofMinutes(15), Optional.empty());
    }

    public CommandRules(List<String> denyCommands, boolean denyAnonymous, int banAfterFailures, Duration banWindow,
                        Duration banTime, Optional<Path> banFile) {
        this(denyCommands, denyAnonymous, banAfterFailures, banWindow, banTime, banFile, false, List.of());
    }

    public CommandRules withStrictProtocol(boolean strict) {
        return new CommandRules(denyCommands, denyAnonymous, banAfterFailures, banWindow, banTime, banFile, strict, allowCommands);
    }

    public CommandRules withAllowCommands(List<String> allow) {
        return new CommandRules(denyCommands, denyAnonymous, banAfterFailures, banWindow, banTime, banFile, strictProtocol, allow);
    }
}
