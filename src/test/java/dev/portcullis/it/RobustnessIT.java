package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.testing.DataMode;
import dev.portcullis.testing.Digests;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.FtpTestClient.Reply;
import dev.portcullis.testing.ProxyHarness;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile and careless clients: the proxy must answer, close cleanly, leak nothing and keep serving. */
class RobustnessIT {

    @TempDir
    static Path root;
    static ProxyHarness h;

    @BeforeAll
    static void start() throws Exception {
        // 300 idle sessions from one address: above the default per-address limit of 64.
        h = ProxyHarness.start(root, c -> c.withLimits(new dev.portcullis.config.Limits(4096, 3, 1000, 10_000, 1_000)));
        h.write("f.txt", "content\n".getBytes(StandardCharsets.US_ASCII));
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    @AfterEach
    void afterwardsANormalSessionWorksAndNothingLeaked() throws Exception {
        try (FtpTestClient c = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD)) {
            c.command("TYPE I");
            assertThat(new String(DataMode.PASV.download(c, "RETR f.txt"), StandardCharsets.US_ASCII)).isEqualTo("content\n");
            c.command("QUIT");
        }
        h.assertQuiescent();
    }

    @Test
    void oneMebibyteLineWithoutLineEnd() throws Exception {
        try (FtpTestClient c = FtpTestClient.connect(h.proxyAddress())) {
            assertThat(c.readReply().code()).isEqualTo(220);
            byte[] junk = new byte[1024 * 1024];
            Arrays.fill(junk, (byte) 'A');
            try {
                c.sendRaw(junk);
            } catch (IOException closedWhileSending) {
                // the proxy may close before all of it is written: that is the point
            }
            Reply first = c.readReply();
            assertThat(first.code()).isEqualTo(500);
            assertThat(first.last()).contains("too long");
            Reply r;
            do {
                r = c.readReply();
            } while (r.code() == 500);
            assertThat(r.code()).isEqualTo(421);
            assertThat(c.isClosedByPeer()).isTrue();
        }
    }

    @Test
    void overlongCommandGets500AndTheSessionGoesOn() throws Exception {
        try (FtpTestClient c = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD)) {
            assertThat(c.command("RETR " + "x".repeat(5000)).code()).isEqualTo(500);
            assertThat(c.command("NOOP").code()).isEqualTo(200);
            assertThat(c.command("RETR a\0b").code()).isEqualTo(500);
            assertThat(c.command("NOOP").code()).isEqualTo(200);
        }
    }

    @Test
    void binaryGarbageEndsInACleanClose() throws Exception {
        try (FtpTestClient c = FtpTestClient.connect(h.proxyAddress())) {
            assertThat(c.readReply().code()).isEqualTo(220);
            byte[] garbage = Digests.randomBytes(64 * 1024, 99);
            try {
                c.sendRaw(garbage);
            } catch (IOException closedWhileSending) {
                // acceptable
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            String line;
            String last = null;
            while ((line = c.readLine()) != null && System.nanoTime() < deadline) {
                assertThat(line).doesNotContain("Exception").doesNotContain("at io.netty");
                last = line;
            }
            assertThat(line).as("connection must be closed by the proxy").isNull();
            assertThat(last).startsWith("421");
        }
    }

    @Test
    void threeHundredIdleControlConnections() throws Exception {
        List<FtpTestClient> idle = new ArrayList<>();
        try {
            // One after the other: the in-JVM backend's listen backlog is small (the proxy's is 1024).
            for (int i = 0; i < 300; i++) {
                FtpTestClient c = FtpTestClient.connect(h.proxyAddress());
                idle.add(c);
                assertThat(c.readReply().code()).isEqualTo(220);
            }
            assertThat(h.proxy().sessions().size()).isEqualTo(300);
            try (FtpTestClient c = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD)) {
                c.command("TYPE I");
                assertThat(new String(DataMode.EPSV.download(c, "RETR f.txt"), StandardCharsets.US_ASCII)).isEqualTo("content\n");
            }
        } finally {
            for (FtpTestClient c : idle) {
                c.close();
            }
        }
    }

    @Test
    void aThousandSessionsThatOpenPasvThenDrop() throws Exception {
        long fdsBefore = ProxyHarness.openFileDescriptors();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                boolean extended = i % 2 == 0;
                done.add(pool.submit(() -> {
                    FtpTestClient c = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD);
                    if (extended) {
                        c.epsv();
                    } else {
                        c.pasv();
                    }
                    c.socket().setSoLinger(true, 0); // drop hard: a reset, not a goodbye
                    c.close();
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        h.assertQuiescent();
        ProxyHarness.eventually(java.time.Duration.ofSeconds(10), () ->
                assertThat(ProxyHarness.openFileDescriptors()).as("file descriptors after 1000 aborted sessions").isLessThanOrEqualTo(fdsBefore + 20));
    }


    @Test
    void clientResetMidTransfer() throws Exception {
        h.write("big.bin", Digests.randomBytes(8 * 1024 * 1024, 3));
        FtpTestClient c = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD);
        c.command("TYPE I");
        var target = c.pasv();
        Socket data = new Socket();
        data.connect(target, 5000);
        c.send("RETR big.bin");
        assertThat(c.readReply().code()).isEqualTo(150);
        data.getInputStream().readNBytes(10_000);
        data.setSoLinger(true, 0);
        data.close();
        c.socket().setSoLinger(true, 0);
        c.close();
    }
}
