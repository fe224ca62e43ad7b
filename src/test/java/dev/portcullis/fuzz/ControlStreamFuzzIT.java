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
import java.io.ByteArrayOutputStream;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The permanent adversary of the client control stream (issue 28): seeded, mutated command
 * sequences (Telnet sequences, NUL, lone CR and LF, tabs and other separators, over-long lines,
 * hostile PORT/EPRT forms, reply-like lines, pipelined batches) through the real proxy to a
 * {@link RecordingFtpBackend}. Invariants, checked on every sequence:
 * <ul>
 *   <li>exactly one final reply per command line, in order (the backend echoes a tag carried by
 *       each command), within 5 s (no hang), and no 421 (nothing here should end a session);</li>
 *   <li>no stack trace and never the backend's data address (10,9,8,7 or its data port) to the
 *       client; a 227/229 only for PASV/EPSV;</li>
 *   <li>a denied verb (DELE, RNFR, SITE CHMOD, USER anonymous/ftp) never reaches the backend in
 *       any spelling any server would read ({@link ServerReadings}),
 *       and every line the backend gets is canonical (letters, one space, argument).</li>
 * </ul>
 * About a third of the logged-in sequences end with a transfer ({@link #transferPhase}): STAT,
 * NOOP and ABOR (plain, Telnet in band, BSD's urgent DM) while a RETR runs.
 * {@code mvn verify} runs a short seeded run (300 sequences). The long run:
 * {@code mvn -o -B verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=ControlStreamFuzzIT
 * -Dfailsafe.failIfNoSpecifiedTests=false -Dfuzz.iterations=200000 [-Dfuzz.seed=N]}.
 * A failure names the seed of each sequence that broke an invariant; -Dfuzz.seed and
 * -Dfuzz.iterations=1 replay one.
 */
class ControlStreamFuzzIT {

    private static final int MAX_LINE = 512;
    private static final List<String> DENIED = List.of("DELE", "RNFR", "SITE CHMOD");
    private static final Pattern TAG = Pattern.compile("#t(\\d+)");
    private static final int IAC = 0xff;

    /** A command line as sent, with what the client expects of its reply. */
    private record Cmd(byte[] wire, String verb, int tag) {
    }

    private final Map<String, Integer> violations = new TreeMap<>();
    private final List<String> examples = new ArrayList<>();
    private RecordingFtpBackend backend;
    private int transfers;
    private int aborts;
    private int backendSeen;

    @Test
    void controlStreamInvariantsHold() throws Exception {
        int iterations = Integer.getInteger("fuzz.iterations", 300);
        long seed = Long.getLong("fuzz.seed", 28L);
        int commands = 0;
        try (RecordingFtpBackend b = new RecordingFtpBackend(); PortcullisServer proxy = new PortcullisServer(config(b.port())).start()) {
            backend = b;
            for (int i = 0; i < iterations; i++) {
                commands += runSequence(proxy, seed + i);
                checkBackend(seed + i);
            }
            ProxyHarness.eventually(Duration.ofSeconds(10), () -> assertThat(proxy.sessions().size()).isZero());
        }
        System.out.printf("ControlStreamFuzzIT: %d sequences, %d command lines, %d transfers (%d aborted), seeds %d..%d, violations %s%n",
                iterations, commands, transfers, aborts, seed, seed + iterations - 1, violations);
        assertThat(violations).as(String.join("\n", examples)).isEmpty();
    }

    static ProxyConfig config(int backendPort) throws Exception {
        ProxyConfig c = ProxyHarness.baseConfig(backendPort);
        // No health checks: their connections would take answers (and random numbers) from the scripted backend.
        c = c.withBackends(c.backends().withHealthCheck(new HealthCheckConfig(false, Duration.ofSeconds(5), Duration.ofSeconds(3), 2, 2,
                false, Optional.empty(), Optional.empty())));
        Timeouts t = c.timeouts();
        return c.withPassivePorts(new PortRange(34000, 34099))
                .withLimits(new Limits(MAX_LINE, 1000, 100))
                .withTimeouts(new Timeouts(t.idle(), t.dataConnect(), t.backendConnect(), t.expectation(), Duration.ofSeconds(3)))
                .withCommands(new CommandRules(DENIED, true));
    }

    private void violation(long seed, String kind, String detail) {
        violations.merge(kind, 1, Integer::sum);
        if (examples.size() < 20 || examples.stream().noneMatch(e -> e.contains(": " + kind + ": "))) {
            examples.add("seed " + seed + ": " + kind + ": " + detail);
        }
    }

    /** One session: greeting, maybe a login, pipelined batches of mutated commands, QUIT. Returns the lines sent. */
    private int runSequence(PortcullisServer proxy, long seed) throws Exception {
        Random rnd = new Random(seed);
        int sent = 0;
        try (FtpTestClient c = FtpTestClient.connect(proxy.boundAddresses().get(0))) {
            c.socket().setSoTimeout(5_000);
            if (c.readReply().code() != 220) {
                violation(seed, "greeting", "not 220");
                return 0;
            }
            boolean login = rnd.nextInt(10) < 8;
            if (login) {
                c.send("USER alice");
                c.readReply();
                c.send("PASS secret");
                if (c.readReply().code() != 230) {
                    violation(seed, "login", "not 230");
                    return 2;
                }
            }
            int n = 1 + rnd.nextInt(30);
            int tag = 0;
            List<Cmd> all = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                all.add(generate(rnd, tag++, c));
            }
            for (int i = 0; i < all.size(); ) {
                int batch = Math.min(all.size() - i, 1 + rnd.nextInt(6));
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                for (int k = 0; k < batch; k++) {
                    out.write(all.get(i + k).wire());
                }
                c.sendRaw(out.toByteArray());
                for (int k = 0; k < batch; k++) {
                    if (!expectReply(c, all.get(i + k), seed)) {
                        return sent + k + 1;
                    }
                }
                i += batch;
                sent += batch;
            }
            if (login && rnd.nextInt(10) < 3) {
                sent += transferPhase(c, rnd, seed, tag);
            }
            c.send("QUIT");
            FtpTestClient.Reply quit = c.readReply();
            if (quit.code() != 221) {
                violation(seed, "quit", quit.all());
            }
            return sent + 1;
        } catch (SocketTimeoutException e) {
            violation(seed, "hang", "no reply within 5 s");
            return sent;
        } catch (IOException e) {
            violation(seed, "connection lost", e.toString());
            return sent;
        }
    }

    /**
     * A RETR of {@link RecordingFtpBackend#BIG_SIZE} bytes through the proxy's passive port, with
     * STAT and NOOP sent while it runs and, half the time, an ABOR in one of the forms clients
     * use (plain, IAC IP IAC DM in band, BSD's IAC IP IAC with the DM as TCP urgent data).
     * Invariants: the queries' replies come in their order, the transfer's final reply exactly
     * once, ABOR's after it, each within 5 s; without ABOR a 226 means every byte arrived.
     */
    private int transferPhase(FtpTestClient c, Random rnd, long seed, int firstTag) throws Exception {
        c.send("TYPE I");
        c.readReply();
        c.send("PASV");
        FtpTestClient.Reply pasv = c.readReply();
        if (pasv.code() != 227) {
            return 2; // e.g. EPSV ALL earlier in the sequence: 503
        }
        java.net.InetSocketAddress to = dev.portcullis.ftp.HostPort.parsePassiveReply(pasv.last()).orElseThrow();
        try (java.net.Socket data = new java.net.Socket()) {
            data.connect(to, 5_000);
            data.setSoTimeout(5_000);
            String sep = new String[] {" ", "\t", "\u000b", "\f"}[rnd.nextInt(4)];
            String retr = (rnd.nextBoolean() ? "RETR" : "retr") + sep + "big\r\n";
            byte[] prefix = rnd.nextInt(4) == 0 ? new byte[] {(byte) IAC, (byte) 0xf1} : new byte[0];
            c.sendRaw(concat(prefix, retr.getBytes(StandardCharsets.ISO_8859_1)));
            FtpTestClient.Reply started = c.readReply();
            if (started.code() != 150) {
                violation(seed, "transfer did not start", show(retr.getBytes(StandardCharsets.ISO_8859_1)) + " -> " + started.all());
                return 3;
            }
            List<Integer> queries = new ArrayList<>();
            ByteArrayOutputStream batch = new ByteArrayOutputStream();
            int k = rnd.nextInt(4);
            for (int i = 0; i < k; i++) {
                int tag = firstTag + 1000 + i;
                queries.add(tag);
                batch.writeBytes(((rnd.nextBoolean() ? "STAT" : "NOOP") + " #t" + tag + "\r\n").getBytes(StandardCharsets.US_ASCII));
            }
            c.sendRaw(batch.toByteArray());
            boolean abort = rnd.nextBoolean();
            transfers++;
            if (abort) {
                aborts++;
                switch (rnd.nextInt(3)) {
                    case 0 -> c.sendRaw("ABOR\r\n".getBytes(StandardCharsets.US_ASCII));
                    case 1 -> c.sendRaw(new byte[] {(byte) IAC, (byte) 0xf4, (byte) IAC, (byte) 0xf2, 'A', 'B', 'O', 'R', '\r', '\n'});
                    default -> {
                        c.sendRaw(new byte[] {(byte) IAC, (byte) 0xf4, (byte) IAC});
                        c.socket().sendUrgentData(0xf2);
                        c.sendRaw("ABOR\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                }
            }
            java.util.concurrent.atomic.AtomicLong received = new java.util.concurrent.atomic.AtomicLong();
            Thread drain = null;
            int transferFinal = 0;
            boolean aborAnswered = false;
            int next = 0;
            while (next < queries.size() || transferFinal == 0 || (abort && !aborAnswered)) {
                if (drain == null && !abort && next == queries.size()) {
                    drain = drainer(data, received); // the queries are answered: now let the transfer end
                }
                FtpTestClient.Reply r;
                try {
                    r = c.readReply();
                } catch (SocketTimeoutException e) {
                    violation(seed, "hang during a transfer", "queries " + queries + " answered " + next + ", transfer final " + transferFinal
                            + ", abort " + abort + " answered " + aborAnswered);
                    return 3 + k;
                }
                String text = r.all();
                Matcher m = TAG.matcher(text);
                if (r.code() == 421 || text.contains("Exception")) {
                    violation(seed, "421 or stack trace during a transfer", text + " (queries " + queries + " answered " + next
                            + ", transfer final " + transferFinal + ", abort " + abort + " answered " + aborAnswered + ")");
                    throw new IOException("session closed");
                } else if (m.find()) {
                    int tag = Integer.parseInt(m.group(1));
                    if (next >= queries.size() || tag != queries.get(next)) {
                        violation(seed, "query reply out of order during a transfer", "expected " + queries + "[" + next + "], got " + text);
                    }
                    next++;
                } else if (text.contains("ABOR")) {
                    if (!abort || transferFinal == 0) {
                        violation(seed, "ABOR answered before the transfer", text);
                    }
                    aborAnswered = true;
                } else if (r.code() >= 200) {
                    transferFinal++;
                    if (transferFinal > 1 || (abort ? r.code() != 226 && r.code() != 426 : r.code() != 226)) {
                        violation(seed, "transfer's final reply", text + (transferFinal > 1 ? " (a second one)" : ""));
                    }
                    if (drain != null && r.code() == 226) {
                        drain.join(5_000);
                        if (received.get() != RecordingFtpBackend.BIG_SIZE) {
                            violation(seed, "226 without every byte", received.get() + " of " + RecordingFtpBackend.BIG_SIZE);
                        }
                    }
                }
            }
            return 3 + k + (abort ? 1 : 0);
        }
    }

    private static Thread drainer(java.net.Socket data, java.util.concurrent.atomic.AtomicLong received) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[64 * 1024];
            try {
                int n;
                while ((n = data.getInputStream().read(buf)) > 0) {
                    received.addAndGet(n);
                }
            } catch (IOException ignored) {
                // the proxy closed the data connection
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Reads the final reply to {@code cmd} and checks it; false when the sequence cannot go on. */
    private boolean expectReply(FtpTestClient c, Cmd cmd, long seed) throws IOException {
        FtpTestClient.Reply r;
        try {
            do {
                r = c.readReply();
            } while (r.code() < 200);
        } catch (SocketTimeoutException e) {
            violation(seed, "hang", "no reply to " + show(cmd.wire()) + " within 5 s");
            return false;
        } catch (IOException | NumberFormatException | StringIndexOutOfBoundsException e) {
            violation(seed, "no reply", show(cmd.wire()) + ": " + e);
            return false;
        }
        String text = r.all();
        if (text.contains("Exception") || text.contains("\tat ") || text.contains("java.")) {
            violation(seed, "stack trace", text);
        }
        if (showsBackendAddress(text)) {
            violation(seed, "backend address", show(cmd.wire()) + " -> " + text);
        }
        if ((r.code() == 227 || r.code() == 228 || r.code() == 229) && !cmd.verb().equals("PASV") && !cmd.verb().equals("EPSV")) {
            violation(seed, "passive reply to another command", show(cmd.wire()) + " -> " + text);
        }
        Matcher m = TAG.matcher(text);
        if (m.find() && Integer.parseInt(m.group(1)) != cmd.tag()) {
            violation(seed, "reply out of order", show(cmd.wire()) + " -> " + text);
        }
        if (r.code() == 421) {
            violation(seed, "421", show(cmd.wire()) + " -> " + text);
            return false;
        }
        return true;
    }

    /** The backend's announced host, or one of its data ports in 227/229 form (ports in the proxy's own range are the proxy's). */
    private boolean showsBackendAddress(String text) {
        if (text.contains(RecordingFtpBackend.ANNOUNCED_HOST)) {
            return true;
        }
        if (!text.contains("|||") && !text.contains(")")) {
            return false;
        }
        for (int p : backend.announcedPorts()) {
            boolean proxys = p >= 34000 && p <= 34099;
            if (!proxys && (text.contains("|||" + p + "|") || text.contains("," + (p >> 8) + "," + (p & 0xff) + ")"))) {
                return true;
            }
        }
        return false;
    }

    /** What the backend received since the last check: canonical, and no denied verb in any reading. */
    private void checkBackend(long seed) {
        List<byte[]> got = backend.received();
        for (; backendSeen < got.size(); backendSeen++) {
            byte[] line = got.get(backendSeen);
            if (!ServerReadings.canonical(line)) {
                violation(seed, "non-canonical line relayed", show(line));
            }
            for (ServerReadings.Reading r : ServerReadings.of(line)) {
                boolean denied = DENIED.contains(r.verb()) || DENIED.contains(r.verb() + " " + r.firstWord())
                        || (r.verb().equals("USER") && (r.firstWord().equals("ANONYMOUS") || r.firstWord().equals("FTP")));
                if (denied) {
                    violation(seed, "denied verb reached the backend", show(line) + " read as " + r);
                }
            }
        }
    }

    // ---------------------------------------------------------------- the generator

    private static final String[] TAGGED = {"NOOP", "SYST", "PWD", "CWD dir", "MKD new", "HELP", "STAT", "SIZE f", "MDTM f",
        "OPTS UTF8 ON", "XYZZY plugh", "ALLO 10", "MODE S", "STRU F", "SITE HELP", "SITE UMASK 022", "TYPE I", "TYPE A", "RMD old",
        "RNTO b", "CDUP", "REST 0"};
    private static final String[] DENIED_LINES = {"DELE f", "RNFR a", "SITE CHMOD 777 f", "USER anonymous", "USER ftp", "site chmod 600 x"};
    private static final String[] UNTAGGED = {"PASV", "EPSV", "RETR f", "LIST", "NLST", "STOR up", "MLSD", "ABOR", "AUTH TLS", "PBSZ 0",
        "PROT P", "LPSV", "EPSV ALL", "PORT 10,0,0,1,0,21", "PORT 127,0,0,1,0,21", "PORT 1,2,3", "PORT 999,0,0,1,4,1",
        "PORT 127,0,0,1,300,1", "EPRT |2|::1|5000|", "EPRT |1|127.0.0.1|70000|", "EPRT ||||", "EPRT |1|10.0.0.1|4000|",
        "227 Entering Passive Mode (1,2,3,4,5,6)", "200 ok", "150 Opening", "PORT 127,0,0,1,4,1", "EPRT |1|127.0.0.1|1025|"};

    private static Cmd generate(Random rnd, int tag, FtpTestClient c) {
        String base;
        boolean tagged = false;
        int kind = rnd.nextInt(10);
        if (kind < 4) {
            base = TAGGED[rnd.nextInt(TAGGED.length)];
            tagged = true;
        } else if (kind < 7) {
            base = DENIED_LINES[rnd.nextInt(DENIED_LINES.length)];
            tagged = true;
        } else {
            base = UNTAGGED[rnd.nextInt(UNTAGGED.length)];
        }
        String verb = base.split(" ", 2)[0].toUpperCase(Locale.ROOT);
        String arg = base.indexOf(' ') < 0 ? "" : base.substring(base.indexOf(' ') + 1);
        // The tag goes after the mutations: a byte inserted among its digits would make another tag.
        byte[] line = mutate(rnd, base.split(" ", 2)[0], arg, tagged ? " #t" + tag : "");
        return new Cmd(line, verb, tagged ? tag : -1);
    }

    /** The verb and argument, mutated, with a line end: exactly one LF, never consumed by a Telnet sequence. */
    private static byte[] mutate(Random rnd, String verb, String arg, String tag) {
        ByteArrayOutputStream v = new ByteArrayOutputStream();
        for (char ch : verb.toCharArray()) {
            v.write(rnd.nextInt(4) == 0 ? Character.toLowerCase(ch) : ch);
        }
        byte[] verbBytes = v.toByteArray();
        byte sep = ' ';
        int roll = rnd.nextInt(100);
        if (roll < 8) {
            sep = '\t';
        } else if (roll < 11) {
            sep = 0x0b;
        } else if (roll < 14) {
            sep = '\f';
        }
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        if (rnd.nextInt(30) == 0) {
            line.write(rnd.nextBoolean() ? ' ' : '\t'); // leading whitespace
        }
        line.writeBytes(verbBytes);
        if (!arg.isEmpty() || !tag.isEmpty() || rnd.nextInt(10) == 0) {
            line.write(sep);
            if (rnd.nextInt(15) == 0) {
                line.write(' '); // two separators
            }
            line.writeBytes(arg.getBytes(StandardCharsets.ISO_8859_1));
        }
        byte[] bytes = line.toByteArray();
        int mutations = rnd.nextInt(3) == 0 ? 1 + rnd.nextInt(3) : 0;
        for (int i = 0; i < mutations; i++) {
            bytes = insert(rnd, bytes);
        }
        bytes = concat(bytes, tag.getBytes(StandardCharsets.US_ASCII));
        if (rnd.nextInt(60) == 0) {
            bytes = rnd.nextBoolean() ? new byte[0] : new byte[] {' '}; // an empty or blank line
        }
        if (rnd.nextInt(40) == 0) {
            // over-long: MAX_LINE + 10 .. 1.5 * MAX_LINE bytes before the LF, exactly one TOO_LONG
            byte[] padded = java.util.Arrays.copyOf(bytes, MAX_LINE + 10 + rnd.nextInt(MAX_LINE / 2));
            java.util.Arrays.fill(padded, bytes.length, padded.length, (byte) 'x');
            bytes = padded;
        }
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        wire.writeBytes(bytes);
        if (rnd.nextInt(15) == 0) {
            wire.write('\n'); // bare LF
        } else {
            wire.write('\r');
            wire.write('\n');
        }
        return wire.toByteArray();
    }

    /** Inserts one hostile byte sequence at a random place (never one that could swallow the LF). */
    private static byte[] insert(Random rnd, byte[] bytes) {
        int at = rnd.nextInt(bytes.length + 1);
        byte[] what = switch (rnd.nextInt(12)) {
            case 0 -> new byte[] {(byte) IAC, (byte) 0xf4}; // IP
            case 1 -> new byte[] {(byte) IAC, (byte) 0xf2}; // DM
            case 2 -> new byte[] {(byte) IAC, (byte) 0xf1}; // NOP
            case 3 -> new byte[] {(byte) IAC, (byte) (0xfb + rnd.nextInt(4)), (byte) new int[] {1, 3, 24, 31, 34}[rnd.nextInt(5)]}; // WILL..DONT option (never LF)
            case 4 -> new byte[] {(byte) IAC, (byte) IAC}; // a literal 0xFF
            case 5 -> new byte[] {(byte) IAC}; // a lone IAC: the next byte, if any, is below 240 or CR
            case 6 -> new byte[] {0};
            case 7 -> new byte[] {'\r'};
            case 8 -> new byte[] {'\t'};
            case 9 -> new byte[] {(byte) "1-_.!\u0001\u0080".charAt(rnd.nextInt(7))};
            case 10 -> new byte[] {(byte) IAC, (byte) 0xf4, (byte) IAC}; // BSD abort without its urgent DM
            default -> new byte[] {' '};
        };
        if ((what.length == 1 && what[0] == (byte) IAC || what.length == 3 && what[2] == (byte) IAC)
                && at < bytes.length && (bytes[at] & 0xff) >= 0xf0) {
            what = new byte[] {' '}; // IAC before a command byte would make a different sequence than intended
        }
        byte[] out = new byte[bytes.length + what.length];
        System.arraycopy(bytes, 0, out, 0, at);
        System.arraycopy(what, 0, out, at, what.length);
        System.arraycopy(bytes, at, out, at + what.length, bytes.length - at);
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static String show(byte[] bytes) {
        StringBuilder b = new StringBuilder();
        for (byte x : bytes) {
            int u = x & 0xff;
            if (u >= 0x20 && u < 0x7f) {
                b.append((char) u);
            } else {
                b.append(String.format("\\x%02x", u));
            }
        }
        return b.length() > 120 ? b.substring(0, 120) + "..." : b.toString();
    }
}
