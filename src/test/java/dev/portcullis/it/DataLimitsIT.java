package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.config.Limits;
import dev.portcullis.testing.Digests;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.FtpTestClient.Reply;
import dev.portcullis.testing.Processes;
import dev.portcullis.testing.ProxyHarness;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Passive-port budgets, transfers per session, and bandwidth limits measured with curl. */
class DataLimitsIT {

    private static final int MIB = 1024 * 1024;

    @TempDir
    Path root;

    @TempDir
    Path out;

    private static FtpTestClient from(String localAddress, InetSocketAddress proxy) throws Exception {
        FtpTestClient c = FtpTestClient.connectFrom(localAddress, proxy);
        assertThat(c.readReply().code()).isEqualTo(220);
        assertThat(c.command("USER " + ProxyHarness.USER).code()).isEqualTo(331);
        assertThat(c.command("PASS " + ProxyHarness.PASSWORD).code()).isEqualTo(230);
        return c;
    }

    @Test
    void oneAddressCannotHoldMorePassivePortsThanItsBudget() throws Exception {
        Limits limits = Limits.DEFAULTS.withDataLimits(1, 3, 0, 0, 0);
        try (ProxyHarness h = ProxyHarness.start(root, c -> c.withLimits(limits))) {
            List<FtpTestClient> sessions = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    FtpTestClient c = from("127.0.0.1", h.proxyAddress());
                    sessions.add(c);
                    assertThat(c.command("EPSV").code()).isEqualTo(229);
                }
                FtpTestClient fourth = from("127.0.0.1", h.proxyAddress());
                sessions.add(fourth);
                Reply refused = fourth.command("EPSV");
                assertThat(refused.code()).isEqualTo(425);
                assertThat(refused.last()).contains("your address already holds 3 data ports");
                assertThat(h.proxy().passivePortPool().capacity() - h.proxy().passivePortPool().available()).isEqualTo(3);
                // Another address has a budget of its own.
                FtpTestClient other = from("127.0.0.2", h.proxyAddress());
                sessions.add(other);
                assertThat(other.command("EPSV").code()).isEqualTo(229);
                // Giving one back (a new EPSV replaces the old one; QUIT frees all) lets the address in again.
                sessions.get(0).command("QUIT");
                ProxyHarness.awaitTrue(java.time.Duration.ofSeconds(5), () -> h.proxy().passivePortPool().available()
                        == h.proxy().passivePortPool().capacity() - 3);
                assertThat(fourth.command("EPSV").code()).isEqualTo(229);
                // Per session: one port; a second EPSV replaces the first instead of holding two.
                assertThat(fourth.command("EPSV").code()).isEqualTo(229);
            } finally {
                for (FtpTestClient c : sessions) {
                    c.close();
                }
            }
            h.assertQuiescent();
        }
    }

    @Test
    void transfersPerSessionAreLimited() throws Exception {
        Limits limits = Limits.DEFAULTS.withDataLimits(2, 64, 2, 0, 0);
        try (ProxyHarness h = ProxyHarness.start(root, c -> c.withLimits(limits))) {
            h.write("a.txt", "abc".getBytes());
            try (FtpTestClient c = from("127.0.0.1", h.proxyAddress())) {
                for (int i = 0; i < 2; i++) {
                    InetSocketAddress data = c.epsv();
                    try (Socket d = new Socket()) {
                        d.connect(data, 5000);
                        c.send("RETR a.txt");
                        assertThat(c.readReply().code()).isEqualTo(150);
                        assertThat(d.getInputStream().readAllBytes()).isEqualTo("abc".getBytes());
                        assertThat(c.readReply().code()).isEqualTo(226);
                    }
                }
                c.epsv();
                Reply third = c.command("RETR a.txt");
                assertThat(third.code()).isEqualTo(450);
                assertThat(third.last()).contains("Transfer limit reached (2 per session)");
                assertThat(c.command("NOOP").code()).isEqualTo(200);
            }
            h.assertQuiescent();
        }
    }

    private static long curlMillis(ProxyHarness h, String name, Path to) throws Exception {
        long t0 = System.nanoTime();
        Processes.Result r = Processes.run(List.of("curl", "-sS", "--max-time", "60", "-o", to.toString(), h.url(name)), 70);
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    void sessionBandwidthIsWithinTenPercentOfTheLimit() throws Exception {
        byte[] content = new byte[8 * MIB];
        new Random(5).nextBytes(content);
        Limits limits = Limits.DEFAULTS.withDataLimits(2, 64, 0, 2L * MIB, 0);
        try (ProxyHarness h = ProxyHarness.start(root, c -> c.withLimits(limits))) {
            h.write("big.bin", content);
            long ms = curlMillis(h, "big.bin", out.resolve("big.bin"));
            assertThat(Digests.sha256(Files.readAllBytes(out.resolve("big.bin")))).isEqualTo(Digests.sha256(content));
            // 8 MiB at 2 MiB/s: 4 s.
            assertThat(ms).as("8 MiB at 2 MiB/s took %d ms", ms).isBetween(3600L, 4400L);
            // Uploads are limited the same way (the proxy stops reading the client).
            long t0 = System.nanoTime();
            Processes.Result up = Processes.run(List.of("curl", "-sS", "--max-time", "60", "-T", out.resolve("big.bin").toString(),
                    h.url("up.bin")), 70);
            long upMs = (System.nanoTime() - t0) / 1_000_000;
            assertThat(up.exitCode()).as(up.stderr()).isZero();
            assertThat(Digests.sha256(Files.readAllBytes(root.resolve("up.bin")))).isEqualTo(Digests.sha256(content));
            assertThat(upMs).as("8 MiB up at 2 MiB/s took %d ms", upMs).isBetween(3600L, 4400L);
        }
    }

    @Test
    void globalBandwidthIsSharedByAllSessions() throws Exception {
        byte[] content = new byte[4 * MIB];
        new Random(6).nextBytes(content);
        Limits limits = Limits.DEFAULTS.withDataLimits(2, 64, 0, 0, 2L * MIB);
        try (ProxyHarness h = ProxyHarness.start(root, c -> c.withLimits(limits))) {
            h.write("four.bin", content);
            CompletableFuture<Long> a = CompletableFuture.supplyAsync(() -> unchecked(() -> curlMillis(h, "four.bin", out.resolve("a.bin"))));
            CompletableFuture<Long> b = CompletableFuture.supplyAsync(() -> unchecked(() -> curlMillis(h, "four.bin", out.resolve("b.bin"))));
            long slowest = Math.max(a.get(), b.get());
            // 2 x 4 MiB through a 2 MiB/s total: 4 s.
            assertThat(slowest).as("2 x 4 MiB at 2 MiB/s in total took %d ms", slowest).isBetween(3600L, 4400L);
            assertThat(Files.readAllBytes(out.resolve("a.bin"))).isEqualTo(content);
            assertThat(Files.readAllBytes(out.resolve("b.bin"))).isEqualTo(content);
        }
    }

    private interface Timed {
        long run() throws Exception;
    }

    private static long unchecked(Timed t) {
        try {
            return t.run();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
