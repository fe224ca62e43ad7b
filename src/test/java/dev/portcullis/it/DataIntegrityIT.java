package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.PortcullisServer;
import dev.portcullis.config.ProxyConfig;
import dev.portcullis.config.TlsConfig;
import dev.portcullis.testing.Digests;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.ProxyHarness;
import dev.portcullis.testing.TestCertificates;
import dev.portcullis.testing.TrustAll;
import dev.portcullis.testing.VsftpdProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The data path's invariant under a hostile client (issue 28): uploads and downloads of random
 * sizes, some ended normally, some reset (SO_LINGER 0) and some half-closed at random offsets, on
 * the copy and the splice path, plain and under PROT P, through vsftpd and the in-JVM backend.
 * Every transfer answered 226 is byte-exact where its data went (the stored file, the bytes the
 * client read); a reset upload is never answered 226; transfers nothing disturbed succeed; and
 * afterwards the proxy holds no session, passive port or expectation. The seed is printed; set
 * -Dintegrity.seed to replay a run.
 */
class DataIntegrityIT {

    private static final int TRANSFERS_PER_SESSION = 15;
    private static final int MAX_SIZE = 3 * 1024 * 1024; // past the 1 MiB after which plain relays splice

    enum Action { NONE, RESET, HALF_CLOSE }

    @TempDir
    Path root;

    @TempDir
    Path certs;

    /** Where a backend keeps files and takes uploads. */
    private record Store(Path downloads, Path uploads, String uploadPrefix, String user, String password) {
    }

    @ParameterizedTest(name = "{0}, zero-copy {1}")
    @CsvSource({"in-jvm, true", "in-jvm, false", "vsftpd, true", "vsftpd, false"})
    void everyTransferAnswered226IsByteExact(String backend, boolean zeroCopy) throws Exception {
        long seed = Long.getLong("integrity.seed", System.nanoTime());
        System.out.printf("DataIntegrityIT %s zero-copy %s: seed %d (-Dintegrity.seed=%d to replay)%n", backend, zeroCopy, seed, seed);
        Random random = new Random(seed);
        TestCertificates.Files cert = TestCertificates.create(certs, "integrity", "ec");
        TlsConfig tls = new TlsConfig(Optional.of(cert.cert()), Optional.of(cert.key()), Optional.empty(), TlsConfig.Policy.OPTIONAL,
                TlsConfig.DataProtection.ANY, false, List.of(), TlsConfig.DEFAULT_CIPHERS, TlsConfig.Provider.AUTO,
                Duration.ofSeconds(10), List.of());
        UnaryOperator<ProxyConfig> config = c -> c.withTls(tls).withData(c.data().withZeroCopy(zeroCopy));
        List<String> violations = new ArrayList<>();
        TreeMap<String, Integer> outcomes = new TreeMap<>();
        if (backend.equals("vsftpd")) {
            VsftpdProcess.assumeAvailable();
            try (VsftpdProcess vsftpd = VsftpdProcess.start(31800, 31899)) {
                PortcullisServer proxy = new PortcullisServer(config.apply(ProxyHarness.baseConfig(vsftpd.port()))).start();
                try {
                    Store store = new Store(vsftpd.root(), vsftpd.root().resolve("upload"), "upload/", "anonymous", "guest");
                    runSessions(proxy, store, random, violations, outcomes);
                    assertQuiescent(proxy);
                } finally {
                    proxy.stop();
                }
            }
        } else {
            try (ProxyHarness h = ProxyHarness.start(root, config)) {
                Store store = new Store(root, root, "", ProxyHarness.USER, ProxyHarness.PASSWORD);
                runSessions(h.proxy(), store, random, violations, outcomes);
                h.assertQuiescent();
            }
        }
        System.out.printf("DataIntegrityIT %s zero-copy %s: outcomes %s%n", backend, zeroCopy, outcomes);
        assertThat(violations).as("transfers that broke the invariant (seed %d)", seed).isEmpty();
    }

    private void runSessions(PortcullisServer proxy, Store store, Random random, List<String> violations,
                             TreeMap<String, Integer> outcomes) throws Exception {
        // Files to download, of random sizes (some empty, some past the splice hand-off).
        List<byte[]> files = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            byte[] content = Digests.randomBytes(randomSize(random), random.nextLong());
            Files.write(store.downloads().resolve("f" + i + ".bin"), content);
            files.add(content);
        }
        InetSocketAddress address = proxy.boundAddresses().get(0);
        for (boolean tls : new boolean[] {false, true}) {
            SSLContext ctx = tls ? TrustAll.context("TLSv1.3") : null;
            try (FtpTestClient c = login(address, store, ctx)) {
                for (int i = 0; i < TRANSFERS_PER_SESSION; i++) {
                    boolean upload = random.nextBoolean();
                    Action action = Action.values()[random.nextInt(Action.values().length)];
                    String what;
                    if (upload) {
                        byte[] content = Digests.randomBytes(randomSize(random), random.nextLong());
                        int offset = content.length == 0 ? 0 : random.nextInt(content.length);
                        String name = "up-" + (tls ? "tls" : "plain") + "-" + i + ".bin";
                        what = upload(c, ctx, store, name, content, action, offset, violations);
                    } else {
                        int index = random.nextInt(files.size());
                        byte[] content = files.get(index);
                        int offset = content.length == 0 ? 0 : random.nextInt(content.length);
                        what = download(c, ctx, "f" + index + ".bin", content, action, offset, random.nextBoolean(), violations);
                    }
                    outcomes.merge((tls ? "tls " : "plain ") + (upload ? "upload " : "download ") + action + " " + what, 1, Integer::sum);
                }
                assertThat(c.command("NOOP").code()).as("the session goes on").isEqualTo(200);
            }
        }
    }

    private static int randomSize(Random random) {
        return switch (random.nextInt(4)) {
            case 0 -> random.nextInt(4096);
            case 1 -> random.nextInt(256 * 1024);
            default -> random.nextInt(MAX_SIZE);
        };
    }

    private static FtpTestClient login(InetSocketAddress proxy, Store store, SSLContext tls) throws IOException {
        if (tls == null) {
            FtpTestClient c = FtpTestClient.login(proxy, store.user(), store.password());
            assertThat(c.command("TYPE I").code()).isEqualTo(200);
            return c;
        }
        FtpTestClient c = FtpTestClient.connect(proxy);
        assertThat(c.readReply().code()).isEqualTo(220);
        c.startTls(tls.getSocketFactory());
        int user = c.command("USER " + store.user()).code();
        if (user == 331) {
            assertThat(c.command("PASS " + store.password()).code()).isEqualTo(230);
        } else {
            assertThat(user).isEqualTo(230);
        }
        assertThat(c.command("PBSZ 0").code()).isEqualTo(200);
        assertThat(c.command("PROT P").code()).isEqualTo(200);
        assertThat(c.command("TYPE I").code()).isEqualTo(200);
        return c;
    }

    /** A data connection: the TCP socket (for resets and half-closes) and the stream to use (TLS or not). */
    private record Data(Socket plain, Socket stream) {
    }

    /** EPSV, connects, sends the command, reads 150, then (PROT P) the TLS handshake. */
    private static Data open(FtpTestClient c, SSLContext tls, String command) throws IOException {
        InetSocketAddress address = c.epsv();
        Socket plain = new Socket();
        plain.setSoTimeout(30_000);
        plain.connect(address, 5_000);
        c.send(command); // connected first: vsftpd answers 150 only once the data connection is there
        FtpTestClient.Reply first = c.readReply();
        assertThat(first.code()).as(command + ": " + first.all()).isEqualTo(150);
        if (tls == null) {
            return new Data(plain, plain);
        }
        SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(plain, "localhost", c.socket().getPort(), true);
        s.startHandshake();
        return new Data(plain, s);
    }

    private static void reset(Socket plain) throws IOException {
        plain.setSoLinger(true, 0);
        plain.close();
    }

    private static String download(FtpTestClient c, SSLContext tls, String name, byte[] expected, Action action, int offset,
                                   boolean stray, List<String> violations) throws IOException {
        String what = "RETR " + name + " (" + expected.length + " bytes, " + action + " at " + offset + (tls != null ? ", TLS" : "") + ")";
        Data d = open(c, tls, "RETR " + name);
        byte[] got;
        try {
            InputStream in = d.stream().getInputStream();
            switch (action) {
                case NONE -> got = in.readAllBytes();
                case RESET -> {
                    in.readNBytes(offset);
                    reset(d.plain());
                    got = null; // the client threw the rest away: nothing to compare
                }
                default -> {
                    byte[] head = in.readNBytes(offset);
                    OutputStream out = d.stream().getOutputStream();
                    if (stray) {
                        out.write("stray bytes\r\n".getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    }
                    d.stream().shutdownOutput();
                    try {
                        byte[] tail = in.readAllBytes();
                        got = Arrays.copyOf(head, head.length + tail.length);
                        System.arraycopy(tail, 0, got, head.length, tail.length);
                    } catch (IOException reset) {
                        got = null; // the proxy gave up on it (see the checks below: never with 226)
                    }
                }
            }
        } finally {
            d.stream().close();
        }
        int code = c.readReply().code();
        if (code == 226 && action != Action.RESET && (got == null || !Arrays.equals(got, expected))) {
            violations.add(what + ": 226, but the client " + (got == null ? "was reset" : "read " + got.length + " bytes that differ from the file"));
        } else if (code != 226 && code < 400) {
            violations.add(what + ": answered " + code);
        } else if (code != 226 && action == Action.NONE) {
            violations.add(what + ": nothing disturbed it, yet " + code);
        } else if (code != 226 && action == Action.HALF_CLOSE && tls == null) {
            violations.add(what + ": a half-closed download is still a download, yet " + code);
        }
        return String.valueOf(code);
    }

    private static String upload(FtpTestClient c, SSLContext tls, Store store, String name, byte[] content, Action action, int offset,
                                 List<String> violations) throws IOException {
        String what = "STOR " + name + " (" + content.length + " bytes, " + action + " at " + offset + (tls != null ? ", TLS" : "") + ")";
        Data d = open(c, tls, "STOR " + store.uploadPrefix() + name);
        byte[] sent = content;
        try {
            OutputStream out = d.stream().getOutputStream();
            switch (action) {
                case NONE -> {
                    out.write(content);
                    out.flush();
                }
                case RESET -> {
                    out.write(content, 0, offset);
                    out.flush();
                    reset(d.plain());
                }
                default -> {
                    // A client that ends its stream after `offset` bytes says the file is that long.
                    out.write(content, 0, offset);
                    out.flush();
                    d.stream().shutdownOutput();
                    d.stream().getInputStream().readAllBytes(); // until the proxy closes
                    sent = Arrays.copyOf(content, offset);
                }
            }
        } catch (IOException e) {
            if (action != Action.RESET) {
                throw e;
            }
        } finally {
            d.stream().close();
        }
        int code = c.readReply().code();
        Path stored = store.uploads().resolve(name);
        if (code == 226 && action == Action.RESET) {
            violations.add(what + ": the client reset its upload, yet 226");
        } else if (code == 226 && !(Files.exists(stored) && Arrays.equals(Files.readAllBytes(stored), sent))) {
            violations.add(what + ": 226, but the stored file is " + (Files.exists(stored) ? Files.size(stored) + " bytes that differ" : "missing"));
        } else if (code != 226 && code < 400) {
            violations.add(what + ": answered " + code);
        } else if (code != 226 && action != Action.RESET) {
            violations.add(what + ": nothing went wrong on the client's side, yet " + code);
        }
        return String.valueOf(code);
    }

    /** As ProxyHarness.assertQuiescent, for a proxy started without the harness. */
    private static void assertQuiescent(PortcullisServer proxy) {
        ProxyHarness.eventually(Duration.ofSeconds(10), () -> {
            assertThat(proxy.sessions().size()).as("sessions").isZero();
            assertThat(proxy.passivePortPool().available()).as("free passive ports").isEqualTo(proxy.passivePortPool().capacity());
            assertThat(proxy.expectations().size()).as("expectations").isZero();
        });
    }
}
