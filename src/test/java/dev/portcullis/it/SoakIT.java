package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.config.TlsConfig;
import dev.portcullis.testing.DataMode;
import dev.portcullis.testing.Digests;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.ProxyHarness;
import dev.portcullis.testing.TestCertificates;
import dev.portcullis.testing.TrustAll;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded mixed load: plain and TLS sessions, every data mode, uploads, aborts, dropped
 * sessions and bad input, from 8 workers for {@code -Dsoak.seconds} (60 in the test run; the
 * 30-minute soak is documented in benchmarks/README.md). Ends with zero leaked sessions, ports and
 * descriptors, and heap back near its baseline. Writes its figures to target/soak-results.md.
 */
class SoakIT {

    @TempDir
    Path root;
    @TempDir
    Path certs;

    @Test
    void mixedLoadLeaksNothing() throws Exception {
        int seconds = Integer.getInteger("soak.seconds", 60);
        TestCertificates.Files cert = TestCertificates.create(certs, "soak", "ec");
        TlsConfig tls = new TlsConfig(java.util.Optional.of(cert.cert()), java.util.Optional.of(cert.key()), java.util.Optional.empty(),
                TlsConfig.Policy.OPTIONAL, TlsConfig.DataProtection.ANY, false, List.of(), TlsConfig.DEFAULT_CIPHERS,
                TlsConfig.Provider.AUTO, Duration.ofSeconds(10), List.of());
        // Past the 1 MiB after which plain data connections move by splice: both data paths are soaked.
        byte[] file = Digests.randomBytes(1536 * 1024 + 7, 5);
        String sha = Digests.sha256(file);
        try (ProxyHarness h = ProxyHarness.start(root, c -> c.withTls(tls))) {
            h.write("f.bin", file);
            InetSocketAddress proxy = h.proxyAddress();
            // Warm up, then take the baseline.
            runOne(proxy, "plain", file, sha, null);
            h.assertQuiescent();
            long fdsBefore = ProxyHarness.openFileDescriptors();
            long heapBefore = settledHeap();

            SSLContext tlsContext = TrustAll.context("TLSv1.3");
            Map<String, AtomicLong> done = new ConcurrentHashMap<>();
            AtomicLong failures = new AtomicLong();
            List<String> failureSamples = java.util.Collections.synchronizedList(new ArrayList<>());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            ExecutorService workers = Executors.newFixedThreadPool(8);
            List<Future<?>> futures = new ArrayList<>();
            String[] kinds = {"plain", "tls", "upload", "abort", "drop", "bad-input", "port"};
            for (int w = 0; w < 8; w++) {
                futures.add(workers.submit(() -> {
                    int iterations = 0;
                    while (System.nanoTime() < deadline && iterations++ < 1_000_000) {
                        String kind = kinds[ThreadLocalRandom.current().nextInt(kinds.length)];
                        try {
                            runOne(proxy, kind, file, sha, tlsContext);
                            done.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
                        } catch (Throwable t) {
                            failures.incrementAndGet();
                            if (failureSamples.size() < 5) {
                                failureSamples.add(kind + ": " + t);
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(seconds + 120L, TimeUnit.SECONDS);
            }
            workers.shutdownNow();

            h.assertQuiescent();
            ProxyHarness.awaitTrue(Duration.ofSeconds(10), () -> ProxyHarness.openFileDescriptors() <= fdsBefore + 10);
            long fdsAfter = ProxyHarness.openFileDescriptors();
            long heapAfter = settledHeap();
            long sessions = done.values().stream().mapToLong(AtomicLong::get).sum();
            String report = "## Soak " + Instant.now() + "\n\n"
                    + "Command: `mvn -B verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=SoakIT -Dsoak.seconds=" + seconds + "`\n\n"
                    + "| figure | value |\n|---|---|\n"
                    + "| duration | " + seconds + " s, 8 workers |\n"
                    + "| sessions completed | " + sessions + " (" + new java.util.TreeMap<>(done) + ") |\n"
                    + "| sessions per second | " + sessions / Math.max(1, seconds) + " |\n"
                    + "| failures | " + failures.get() + " " + failureSamples + " |\n"
                    + "| sessions / passive ports / expectations left | " + h.proxy().sessions().size() + " / "
                    + (h.proxy().passivePortPool().capacity() - h.proxy().passivePortPool().available()) + " / " + h.proxy().expectations().size() + " |\n"
                    + "| descriptors before / after | " + fdsBefore + " / " + fdsAfter + " |\n"
                    + "| heap after GC before / after (MiB) | " + heapBefore / (1024 * 1024) + " / " + heapAfter / (1024 * 1024) + " |\n";
            if (heapAfter - heapBefore > 32L * 1024 * 1024) {
                // Say where the heap went: the top of a class histogram of this JVM (proxy, backend and clients).
                Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                        Long.toString(ProcessHandle.current().pid()), "GC.class_histogram").redirectErrorStream(true).start();
                List<String> top = new String(jcmd.getInputStream().readAllBytes()).lines().limit(18).toList();
                report += "\nTop of the class histogram after the run:\n\n```\n" + String.join("\n", top) + "\n```\n";
            }
            Files.writeString(Path.of("target", "soak-results.md"), report);
            System.out.print(report);

            assertThat(failures.get()).as(failureSamples.toString()).isZero();
            assertThat(sessions).isGreaterThan(seconds); // it did real work
            assertThat(fdsAfter).isLessThanOrEqualTo(fdsBefore + 10);
            assertThat(heapAfter).isLessThan(heapBefore + 64L * 1024 * 1024);
        }
    }

    private static void runOne(InetSocketAddress proxy, String kind, byte[] file, String sha, SSLContext tls) throws Exception {
        switch (kind) {
            case "plain", "port" -> {
                try (FtpTestClient c = FtpTestClient.login(proxy, ProxyHarness.USER, ProxyHarness.PASSWORD)) {
                    c.command("TYPE I");
                    DataMode mode = kind.equals("port") ? (ThreadLocalRandom.current().nextBoolean() ? DataMode.PORT : DataMode.EPRT)
                            : (ThreadLocalRandom.current().nextBoolean() ? DataMode.PASV : DataMode.EPSV);
                    check(Digests.sha256(mode.download(c, "RETR f.bin")).equals(sha), "download mismatch");
                    c.command("QUIT");
                }
            }
            case "tls" -> {
                FtpTestClient c = FtpTestClient.connect(proxy);
                try (c) {
                    c.readReply();
                    SSLSocket s = c.startTls(tls.getSocketFactory());
                    check(c.command("USER " + ProxyHarness.USER).code() == 331, "user");
                    check(c.command("PASS " + ProxyHarness.PASSWORD).code() == 230, "pass");
                    c.command("PBSZ 0");
                    c.command("PROT P");
                    c.command("TYPE I");
                    InetSocketAddress data = c.epsv();
                    c.send("RETR f.bin");
                    try (Socket plain = new Socket()) {
                        plain.connect(data, 5000);
                        check(c.readReply().code() == 150, "150");
                        SSLSocket d = (SSLSocket) tls.getSocketFactory().createSocket(plain, "localhost", s.getPort(), true);
                        d.startHandshake();
                        check(Digests.sha256(d.getInputStream().readAllBytes()).equals(sha), "tls download mismatch");
                    }
                    check(c.readReply().code() == 226, "226");
                    c.command("QUIT");
                }
            }
            case "upload" -> {
                try (FtpTestClient c = FtpTestClient.login(proxy, ProxyHarness.USER, ProxyHarness.PASSWORD)) {
                    c.command("TYPE I");
                    String name = "up-" + Thread.currentThread().getId() + ".bin";
                    check(DataMode.EPSV.upload(c, "STOR " + name, file).code() == 226, "upload");
                    check(c.command("DELE " + name).code() == 250, "dele");
                }
            }
            case "abort" -> {
                try (FtpTestClient c = FtpTestClient.login(proxy, ProxyHarness.USER, ProxyHarness.PASSWORD);
                     DataMode.Prepared p = DataMode.PASV.prepare(c)) {
                    c.command("TYPE I");
                    c.send("RETR f.bin");
                    Socket d = p.open();
                    check(c.readReply().code() == 150, "150");
                    d.getInputStream().readNBytes(4096);
                    c.send("ABOR");
                    int first = c.readReply().code();
                    int second = c.readReply().code();
                    check((first == 226 || first == 426) && (second == 225 || second == 226), "abort replies " + first + "/" + second);
                    check(c.command("NOOP").code() == 200, "noop after abort");
                }
            }
            case "drop" -> {
                FtpTestClient c = FtpTestClient.login(proxy, ProxyHarness.USER, ProxyHarness.PASSWORD);
                c.pasv();
                c.socket().setSoLinger(true, 0);
                c.close();
            }
            case "bad-input" -> {
                try (FtpTestClient c = FtpTestClient.connect(proxy)) {
                    c.readReply();
                    try {
                        c.sendRaw(Digests.randomBytes(20_000, ThreadLocalRandom.current().nextLong()));
                    } catch (IOException closedEarly) {
                        // fine: the proxy may close first
                    }
                    String line;
                    while ((line = c.readLine()) != null) {
                        check(!line.contains("Exception"), "stack trace to the client");
                    }
                } catch (java.net.SocketException reset) {
                    // a reset after 421 is acceptable for garbage input
                }
            }
            default -> throw new IllegalArgumentException(kind);
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }


    private static long settledHeap() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
