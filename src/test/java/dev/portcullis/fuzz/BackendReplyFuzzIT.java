package dev.portcullis.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.PortcullisServer;
import dev.portcullis.config.CommandRules;
import dev.portcullis.config.HealthCheckConfig;
import dev.portcullis.config.Limits;
import dev.portcullis.config.PortRange;
import dev.portcullis.config.ProxyConfig;
import dev.portcullis.config.Timeouts;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.ProxyHarness;
import dev.portcullis.testing.RecordingFtpBackend;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The permanent adversary of the backend's replies (issue 28): a seeded backend answers the
 * proxy with hostile replies (227/228/229 greetings and answers, passive-mode lines inside
 * multi-line replies, unsolicited extra replies, blank lines, huge lines, lines without a code,
 * LF-only endings, NUL and 0xFF in text, a 421 and a close, rarely no answer at all) while a client
 * sends ordinary commands. Invariants: the client never sees the backend's data address
 * (10,9,8,7 or the backend's data port) nor a 227/229 except the proxy's own answer to PASV/EPSV,
 * never a stack trace, and every command gets a final reply within 4 s or the session ends with
 * 421 (never a hang, never a close without a reason).
 *
 * <p>Some 421 closes are the documented answer to a backend that sends garbage; those the review
 * wants changed later are counted in {@link #ALLOWED} with their reason, not silently.
 *
 * <p>{@code mvn verify} runs 300 sequences; the long run adds {@code -Dfuzz.iterations=200000}
 * (and {@code -Dfuzz.seed=N}) to {@code mvn -o -B verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false
 * -Dit.test=BackendReplyFuzzIT -Dfailsafe.failIfNoSpecifiedTests=false}.
 */
class BackendReplyFuzzIT {

    private static final int MAX_LINE = 512;
    private static final long REPLY_TIMEOUT_MILLIS = 1_000;

    /** Backend behaviours after which a 421 and a close are the documented answer (README: a backend that sends garbage). */
    private static final java.util.Set<String> EXPECTED_421 = java.util.Set.of("421 and close", "greeting without a code", "huge line",
            "line without a code", "odd codes", "passive greeting", "no answer",
            "unterminated multi-line");

    /** Findings left for a later issue, each with its reason: counted, printed, not failed. */
    private static final Map<String, String> ALLOWED = Map.of();

    private final Map<String, Integer> violations = new TreeMap<>();
    private final Map<String, Integer> closes = new TreeMap<>();
    private final List<String> examples = new ArrayList<>();

    @Test
    void backendRepliesNeverLeakAndNeverHang() throws Exception {
        int iterations = Integer.getInteger("fuzz.iterations", 300);
        long seed = Long.getLong("fuzz.seed", 2028L);
        int commands = 0;
        try (RecordingFtpBackend backend = new RecordingFtpBackend();
             PortcullisServer proxy = new PortcullisServer(config(backend.port())).start()) {
            for (int i = 0; i < iterations; i++) {
                HostileResponder responder = new HostileResponder(new Random(seed + i), backend.dataPort(), i % 100 == 99);
                backend.responder(responder);
                commands += runSequence(proxy, backend.dataPort(), seed + i, responder);
            }
            ProxyHarness.eventually(Duration.ofSeconds(10), () -> assertThat(proxy.sessions().size()).isZero());
        }
        System.out.printf("BackendReplyFuzzIT: %d sequences, %d commands, seeds %d..%d, 421 closes by last backend behaviour %s, "
                + "violations %s%n", iterations, commands, seed, seed + iterations - 1, closes, violations);
        ALLOWED.forEach((what, why) -> System.out.printf("BackendReplyFuzzIT: allowed for now: 421 after %s (%d times): %s%n",
                what, closes.getOrDefault(what, 0), why));
        assertThat(violations).as(String.join("\n", examples)).isEmpty();
    }

    private static ProxyConfig config(int backendPort) throws Exception {
        ProxyConfig c = ProxyHarness.baseConfig(backendPort);
        // No health checks: their connections would take answers (and random numbers) from the scripted backend.
        c = c.withBackends(c.backends().withHealthCheck(new HealthCheckConfig(false, Duration.ofSeconds(5), Duration.ofSeconds(3), 2, 2,
                false, Optional.empty(), Optional.empty())));
        Timeouts t = c.timeouts();
        return c.withPassivePorts(new PortRange(34100, 34199))
                .withLimits(new Limits(MAX_LINE, 1000, 50))
                .withTimeouts(new Timeouts(t.idle(), t.dataConnect(), t.backendConnect(), t.expectation(), Duration.ofMillis(REPLY_TIMEOUT_MILLIS)))
                .withCommands(new CommandRules(CommandRules.DEFAULT_DENIED, false));
    }

    private void violation(long seed, String kind, String detail) {
        violations.merge(kind, 1, Integer::sum);
        if (examples.size() < 20 || examples.stream().noneMatch(e -> e.contains(": " + kind + ": "))) {
            examples.add("seed " + seed + ": " + kind + ": " + detail);
        }
    }

    private static final String[] COMMANDS = {"NOOP", "SYST", "PWD", "STAT", "HELP", "PASV", "EPSV", "FEAT", "TYPE I", "CWD x", "SIZE f",
        "MKD d", "OPTS UTF8 ON"};

    private int runSequence(PortcullisServer proxy, int dataPort, long seed, HostileResponder backend) throws Exception {
        Random rnd = new Random(~seed);
        int sent = 0;
        try (FtpTestClient c = FtpTestClient.connect(proxy.boundAddresses().get(0))) {
            c.socket().setSoTimeout((int) (REPLY_TIMEOUT_MILLIS + 3_000));
            if (!check(c, "greeting", seed, dataPort, backend)) {
                return 0;
            }
            List<String> script = new ArrayList<>(List.of("USER alice", "PASS secret"));
            int n = 1 + rnd.nextInt(15);
            for (int i = 0; i < n; i++) {
                script.add(COMMANDS[rnd.nextInt(COMMANDS.length)]);
            }
            script.add("QUIT");
            for (String command : script) {
                c.send(command);
                sent++;
                if (!check(c, command, seed, dataPort, backend)) {
                    return sent;
                }
            }
            return sent;
        }
    }

    /** Reads the final reply to {@code command}; false when the session ended (421, QUIT) or an invariant broke. */
    private boolean check(FtpTestClient c, String command, long seed, int dataPort, HostileResponder backend) throws IOException {
        String verb = command.split(" ", 2)[0].toUpperCase(Locale.ROOT);
        FtpTestClient.Reply r;
        try {
            do {
                r = c.readReply();
                inspect(r, verb, seed, dataPort, backend);
            } while (r.code() < 200);
            if (verb.equals("GREETING") && r.code() != 220 && r.code() != 421) {
                violation(seed, "greeting neither 220 nor 421", backend.last + " -> " + r.all());
            }
        } catch (SocketTimeoutException e) {
            violation(seed, "hang", "no reply to " + command + " after " + backend.last);
            return false;
        } catch (IOException e) {
            if (!verb.equals("QUIT")) {
                violation(seed, "closed without a reply", command + " after " + backend.last);
            }
            return false;
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            violation(seed, "garbled reply", command + " after " + backend.last + ": " + e.getMessage());
            return false;
        }
        if (r.code() == 421) {
            closes.merge(backend.last, 1, Integer::sum);
            if (!EXPECTED_421.contains(backend.last) && !ALLOWED.containsKey(backend.last)) {
                violation(seed, "unexpected 421", command + " after " + backend.last + " -> " + r.all());
            }
            try {
                if (!c.isClosedByPeer()) {
                    violation(seed, "421 without a close", command + " after " + backend.last);
                }
            } catch (SocketTimeoutException e) {
                violation(seed, "421 without a close", command + " after " + backend.last + ": still open after 4 s");
            }
            return false;
        }
        return !verb.equals("QUIT");
    }

    private void inspect(FtpTestClient.Reply r, String verb, long seed, int dataPort, HostileResponder backend) {
        String text = r.all();
        if (text.contains("Exception") || text.contains("\tat ") || text.contains("java.")) {
            violation(seed, "stack trace", text);
        }
        if (text.contains(RecordingFtpBackend.ANNOUNCED_HOST) || text.contains("|||" + dataPort + "|")
                || text.contains("," + (dataPort >> 8) + "," + (dataPort & 0xff) + ")")) {
            violation(seed, "backend address", verb + " after " + backend.last + " -> " + text);
        }
        boolean ownPassive = (r.code() == 227 && verb.equals("PASV")) || (r.code() == 229 && verb.equals("EPSV"));
        if ((r.code() == 227 || r.code() == 228 || r.code() == 229) && !ownPassive) {
            violation(seed, "passive reply to another command", verb + " after " + backend.last + " -> " + text);
        }
    }

    /** The hostile backend of one sequence. {@link #last} names what it did last, for the statistics. */
    static final class HostileResponder implements RecordingFtpBackend.Responder {

        private final Random rnd;
        private final int dataPort;
        /** Whether this sequence may stall (no answer): each stall costs a backend-reply timeout. */
        private final boolean mayStall;
        volatile String last = "greeting";

        HostileResponder(Random rnd, int dataPort, boolean mayStall) {
            this.rnd = rnd;
            this.dataPort = dataPort;
            this.mayStall = mayStall;
        }

        private String pasv() {
            return "227 Entering Passive Mode (" + RecordingFtpBackend.ANNOUNCED_HOST + "," + (dataPort >> 8) + "," + (dataPort & 0xff) + ")";
        }

        private String epsv() {
            return "229 Entering Extended Passive Mode (|||" + dataPort + "|)";
        }

        private String leak() {
            return switch (rnd.nextInt(3)) {
                case 0 -> pasv();
                case 1 -> epsv();
                default -> "228 Entering Long Passive Mode (4,4,10,9,8,7,2," + (dataPort >> 8) + "," + (dataPort & 0xff) + ")";
            };
        }

        @Override
        public byte[] greeting() {
            int roll = rnd.nextInt(100);
            if (roll < 80) {
                last = "greeting";
                return RecordingFtpBackend.lines("220 hostile backend ready");
            } else if (roll < 88) {
                last = "passive greeting";
                return RecordingFtpBackend.lines(leak());
            } else if (roll < 94) {
                last = "multi-line greeting with passive lines";
                return RecordingFtpBackend.lines("220-welcome", pasv(), "", epsv(), "220 ready");
            } else if (roll < 97) {
                last = "120 then 220";
                return RecordingFtpBackend.lines("120 wait a moment", "220 ready");
            } else {
                last = "greeting without a code";
                return RecordingFtpBackend.lines("hello there");
            }
        }

        @Override
        public byte[] answer(byte[] line) {
            String verb = new String(line, StandardCharsets.ISO_8859_1).split(" ", 2)[0].toUpperCase(Locale.ROOT);
            switch (verb) {
                case "USER" -> {
                    last = "USER";
                    return RecordingFtpBackend.lines("331 password please");
                }
                case "PASS" -> {
                    last = "PASS";
                    return RecordingFtpBackend.lines("230 logged in");
                }
                case "QUIT" -> {
                    last = "QUIT";
                    return RecordingFtpBackend.lines("221 bye");
                }
                case "EPSV", "PASV" -> {
                    if (rnd.nextInt(10) < 6) {
                        last = "valid " + verb;
                        return RecordingFtpBackend.lines(verb.equals("EPSV") ? epsv() : pasv());
                    }
                }
                default -> {
                }
            }
            return hostile();
        }

        private byte[] hostile() {
            int roll = rnd.nextInt(mayStall ? 17 : 16);
            String ok = "200 ok";
            return switch (roll) {
                case 0, 1 -> named("plain", ok);
                case 2 -> named("multi-line with passive lines", "211-Status", " text", pasv(), epsv(), "200-not the end", "2111 not the end", "211 End");
                case 3 -> named("multi-line with blank lines inside", "211-Status", "", " ", "", "211 End");
                case 4 -> named("unsolicited passive reply first", leak(), ok);
                case 5 -> named("passive reply as the answer", leak());
                case 6 -> named("blank line", "", ok);
                case 7 -> named("huge line", "200 " + "x".repeat(MAX_LINE + rnd.nextInt(20 * MAX_LINE)));
                case 8 -> named("preliminary then final", "150 working", ok);
                case 9 -> named("two replies", ok, "200 extra");
                case 10 -> {
                    last = "421 and close";
                    byte[] bye = RecordingFtpBackend.lines("421 going away");
                    yield rnd.nextBoolean() ? bye : RecordingFtpBackend.CLOSE;
                }
                case 11 -> named("line without a code", "hello");
                case 12 -> named("odd codes", new String[] {"502 not implemented", "350 pending", "600 bad", "099 low", "2000 long"}[rnd.nextInt(5)]);
                case 13 -> {
                    last = "LF-only endings";
                    yield (rnd.nextBoolean() ? "211-a\n b\n211 c\n" : "200 ok\n").getBytes(StandardCharsets.ISO_8859_1);
                }
                case 14 -> {
                    last = "NUL and 0xFF in text";
                    yield "200 a\u0000b\u00ffc\r\n".getBytes(StandardCharsets.ISO_8859_1);
                }
                case 15 -> named("multi-line with mismatched end", "211-a", "212 b", "211 end");
                default -> {
                    last = rnd.nextBoolean() ? "no answer" : "unterminated multi-line";
                    yield last.equals("no answer") ? null : RecordingFtpBackend.lines("211-never ends");
                }
            };
        }

        private byte[] named(String what, String... lines) {
            last = what;
            return RecordingFtpBackend.lines(lines);
        }
    }
}
