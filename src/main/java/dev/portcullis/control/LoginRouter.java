package dev.portcullis.control;

import dev.portcullis.ftp.FtpCommand;
import dev.portcullis.ftp.FtpReply;
import dev.portcullis.metrics.ProxyMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The login of one session: the USER name, the outcome of each login attempt (log line, audit
 * event, failed-login bans), and per-user routing.
 *
 * <p>Per-user routing (balance: per-user): the backend is known only from the USER name, so the
 * proxy takes the login itself, like ProFTPD mod_proxy's PerUser. It greets the client, answers
 * {@code 331} to USER, and on PASS connects to the chosen backend and replays what the client sent:
 * the remembered pre-login commands (OPTS, CLNT, HOST), then USER, then PASS. Everything else
 * before login gets {@code 530}.
 */
final class LoginRouter {

    private static final Logger log = LoggerFactory.getLogger("portcullis.session");
    /** Pre-login commands that change how the server treats the session: kept and replayed before USER. */
    private static final Set<String> REPLAYED = Set.of("OPTS", "CLNT", "HOST");
    /** What servers answer (vsftpd's words) to commands that need a login, before one. */
    static final String PLEASE_LOGIN = "Please login with USER and PASS.";

    private final ControlSession session;
    private String user;
    /** A login succeeded (230) on this session. */
    private boolean loggedIn;
    /** Per-user routing and no backend chosen yet: the proxy answers the login itself. */
    private boolean deferred;
    private FtpCommand userCommand;
    private final List<FtpCommand> replay = new ArrayList<>();

    LoginRouter(ControlSession session) {
        this.session = session;
    }

    /** Per-user routing: the proxy takes the login until PASS names the backend. */
    void deferUntilPass() {
        deferred = true;
    }

    /** Whether the proxy still answers the login itself (per-user routing, no backend yet). */
    boolean deferred() {
        return deferred;
    }

    /** The USER name so far (cut to 64 characters), or null. */
    String user() {
        return user;
    }

    /** The USER name the backend is chosen by: only under per-user routing before login. */
    String routeUser() {
        return deferred ? user : null;
    }

    boolean loggedIn() {
        return loggedIn;
    }

    boolean isAnonymous() {
        return "anonymous".equalsIgnoreCase(user) || "ftp".equalsIgnoreCase(user);
    }

    void onUser(FtpCommand c) {
        user = c.argumentUtf8().length() > 64 ? c.argumentUtf8().substring(0, 64) : c.argumentUtf8();
    }

    /** USER, PASS and ACCT once a backend is known: the backend's answer says how the login went. */
    void forwardLogin(ReplySlot slot, FtpCommand c) {
        if (c.verb().equals("USER")) {
            onUser(c);
        }
        session.forward(c, r -> {
            recordOutcome(r);
            session.passThrough(slot, r);
        });
    }

    /** Per-user routing: the proxy answers until PASS, then logs in through the chosen backend. */
    void beforeLogin(ReplySlot slot, FtpCommand c) {
        if (c.verb().equals("QUIT")) {
            slot.closeOutcome = "quit";
            session.replies().reply(slot, 221, "Goodbye.");
            return;
        }
        if (c.verb().equals("USER")) {
            onUser(c);
        }
        Optional<FtpReply> own = answer(c, session.security().available());
        if (own.isPresent()) {
            session.replies().complete(slot, own.get());
            return;
        }
        // PASS: now the backend can be chosen.
        BackendConnector connector = session.connector();
        if (connector.choose(slot, routeUser())) {
            log.info("{} user={} routed to backend {}", session.id(), user, connector.member());
            connector.open(slot, routeUser(), banner -> loginThrough(slot, c));
        }
    }

    /** Replays the client's pre-login commands, USER and PASS on the new backend; PASS's slot gets the outcome. */
    private void loginThrough(ReplySlot slot, FtpCommand pass) {
        deferred = false;
        BackendChannel backend = session.connector().backend();
        for (FtpCommand early : List.copyOf(replay)) {
            backend.send(early, r -> { }); // answered by the proxy already; the backend's answer only informs it
        }
        backend.send(userCommand, r -> {
            if (r.isPreliminary()) {
                return;
            }
            if (r.code() == 331 || r.code() == 332) {
                session.forward(pass, p -> {
                    recordOutcome(p);
                    rerouteIfRefused(p);
                    session.passThrough(slot, p);
                });
            } else {
                recordOutcome(r); // 230 without a password, or 530 for the name
                rerouteIfRefused(r);
                session.passThrough(slot, r);
            }
        });
    }

    /**
     * A login the chosen backend refused: the session lets that backend go and the proxy takes the
     * login again, so the client's next USER is routed afresh (it may name a user of another
     * backend). Before the reply goes out: the next command must already find the proxy answering.
     */
    private void rerouteIfRefused(FtpReply r) {
        if (r.code() == 530 && !session.isClosed()) {
            session.connector().release();
            deferred = true;
            userCommand = null;
        }
    }

    /**
     * The proxy's own answer to a command before login, or empty for PASS after USER, which starts
     * the backend connection.
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
                return Optional.of(FtpReply.of(530, PLEASE_LOGIN));
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

    /** Compiled once: {@code String.replaceAll} would compile it again for every login. */
    private static final Pattern CONTROL_CHARACTERS = Pattern.compile("\\p{Cntrl}");

    private static String printable(String s) {
        String cut = s.length() > 64 ? s.substring(0, 64) : s;
        return CONTROL_CHARACTERS.matcher(cut).replaceAll("?");
    }

    /** A server that greets with 230 has logged the session in already (RFC 959 allows it). */
    void loggedInByGreeting(FtpReply greeting) {
        if (greeting.code() == 230 && !loggedIn) {
            recordOutcome(greeting);
        }
    }

    /** Logs and audits a login reply; a failure counts towards the address's ban. */
    void recordOutcome(FtpReply r) {
        boolean tls = session.security().active();
        // Any 2xx to USER, PASS or ACCT is a login, as clients take it (curl does): 230 is usual,
        // but servers answer 200 or 202 to a USER or PASS they need no more for.
        if (r.code() / 100 == 2) {
            loggedIn = true;
            log.info("{} login user={}", session.id(), user);
            session.audit("login", Map.of("user", String.valueOf(user), "tls", tls));
        } else if (r.code() == 530) {
            // The address before the user name, which the client chose: deploy/fail2ban's filter reads it there.
            log.info("{} login failed from {} user={}", session.id(), session.clientAddress().getHostAddress(), user);
            session.audit("login_failed", Map.of("user", String.valueOf(user), "tls", tls));
            SessionContext ctx = session.ctx();
            if (ctx.bans().recordFailure(session.clientKey())) {
                session.audit("banned", Map.of("reason", "ban",
                        "until", ctx.bans().active().getOrDefault(session.clientKey().getHostAddress(), 0L)));
                ctx.metrics().blocked(ProxyMetrics.Blocked.LIMIT);
                // After the 530 has gone out (this runs before it is queued), the session ends.
                session.client().eventLoop().execute(() ->
                        session.closeWith(421, "Too many failed logins from your address; try again later.", "banned"));
            }
        }
    }
}
