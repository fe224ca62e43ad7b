package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.testing.DataMode;
import dev.portcullis.testing.Digests;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.Processes;
import dev.portcullis.testing.ProxyHarness;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The splice(2) data path: byte-exact both ways with curl, the copy path when switched off, aborts
 * and vanishing peers mid-transfer, and no descriptor (socket or pipe) left behind.
 */
class ZeroCopyRelayIT {

    private static final String RELAYS = "portcullis.data.zero.copy.relays";

    @TempDir
    Path root;

    @TempDir
    Path out;

    private static double relays(ProxyHarness h) {
        return h.proxy().metrics().registry().find(RELAYS).functionCounter().count();
    }

    @Test
    void curlDownloadsAndUploadsByteExactThroughSplice() throws Exception {
        byte[] big = Digests.randomBytes(48 * 1024 * 1024 + 12345, 7);
        try (ProxyHarness h = ProxyHarness.start(root, c -> c)) {
            h.write("big.bin", big);
            for (String mode : List.of("pasv", "port")) {
                List<String> cmd = new java.util.ArrayList<>(List.of("curl", "-sS", "--max-time", "60", "-o", out.resolve(mode).toString()));
                if (mode.equals("port")) {
                    cmd.addAll(List.of("-P", "127.0.0.1"));
                }
                cmd.add(h.url("big.bin"));
                Processes.Result r = Processes.run(cmd, 70);
                assertThat(r.exitCode()).as(r.stderr()).isZero();
                assertThat(Digests.sha256(out.resolve(mode))).isEqualTo(Digests.sha256(big));
            }
            Processes.Result up = Processes.run(List.of("curl", "-sS", "--max-time", "60", "-T", out.resolve("pasv").toString(),
                    h.url("up.bin")), 70);
            assertThat(up.exitCode()).as(up.stderr()).isZero();
            assertThat(Digests.sha256(root.resolve("up.bin"))).isEqualTo(Digests.sha256(big));
            assertThat(relays(h)).isEqualTo(3);
            h.assertQuiescent();
        }
    }

    @Test
    void switchedOffEverythingIsCopied() throws Exception {
        byte[] data = Digests.randomBytes(3 * 1024 * 1024, 8);
        try (ProxyHarness h = ProxyHarness.start(root, c -> c.withData(c.data().withZeroCopy(false)))) {
            h.write("d.bin", data);
            Processes.Result r = Processes.run(List.of("curl", "-sS", "--max-time", "30", "-o", out.resolve("d").toString(), h.url("d.bin")), 40);
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            assertThat(Files.readAllBytes(out.resolve("d"))).isEqualTo(data);
            assertThat(relays(h)).isZero();
        }
    }

    @Test
    void abortAndVanishingPeersMidTransferLeaveNothingBehind() throws Exception {
        byte[] big = Digests.randomBytes(64 * 1024 * 1024, 9);
        try (ProxyHarness h = ProxyHarness.start(root, c -> c)) {
            h.write("big.bin", big);
            long fdsBefore = ProxyHarness.openFileDescriptors();
            try (FtpTestClient c = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD)) {
                c.command("TYPE I");
                // ABOR while the splice worker moves the data.
                InetSocketAddress data = c.epsv();
                try (Socket d = new Socket()) {
                    d.connect(data, 5000);
                    c.send("RETR big.bin");
                    assertThat(c.readReply().code()).isEqualTo(150);
                    d.getInputStream().readNBytes(2 * 1024 * 1024);
                    c.send("ABOR");
                    assertThat(c.readReply().code()).isIn(226, 426, 451);
                    assertThat(c.readReply().code()).isIn(225, 226);
                }
                // The client's data connection vanishes mid-transfer: never reported as a success.
                InetSocketAddress again = c.epsv();
                Socket d = new Socket();
                d.connect(again, 5000);
                c.send("RETR big.bin");
                assertThat(c.readReply().code()).isEqualTo(150);
                d.getInputStream().readNBytes(1024 * 1024);
                d.setSoLinger(true, 0);
                d.close(); // reset
                assertThat(c.readReply().code()).isNotEqualTo(226).isGreaterThanOrEqualTo(400);
                // And the session goes on, byte-exact.
                assertThat(Digests.sha256(DataMode.EPSV.download(c, "RETR big.bin"))).isEqualTo(Digests.sha256(big));
                // Many short transfers: each has two pipes; none may stay open.
                h.write("small.txt", "small".getBytes());
                for (int i = 0; i < 100; i++) {
                    assertThat(DataMode.PASV.download(c, "RETR small.txt")).isEqualTo("small".getBytes());
                }
            }
            h.assertQuiescent();
            ProxyHarness.eventually(Duration.ofSeconds(5), () -> assertThat(ProxyHarness.openFileDescriptors()).isLessThanOrEqualTo(fdsBefore + 2));
            assertThat(relays(h)).isGreaterThanOrEqualTo(3); // small ones whose sender closed before the hand-off are copied
        }
    }

    private static long directMemoryInUse() {
        long pooled = io.netty.buffer.ByteBufAllocator.DEFAULT instanceof io.netty.buffer.ByteBufAllocatorMetricProvider p
                ? p.metric().usedDirectMemory() : 0;
        long jdk = 0;
        for (java.lang.management.BufferPoolMXBean b : java.lang.management.ManagementFactory.getPlatformMXBeans(
                java.lang.management.BufferPoolMXBean.class)) {
            if (b.getName().equals("direct")) {
                jdk = b.getMemoryUsed();
            }
        }
        return pooled + jdk;
    }

    /** A client reading at 100 KiB/s from a fast backend: the proxy's memory stays flat on both data paths. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void aSlowReaderKeepsTheProxysMemoryFlat(boolean zeroCopy) throws Exception {
        byte[] big = Digests.randomBytes(128 * 1024 * 1024, 10);
        try (ProxyHarness h = ProxyHarness.start(root, c -> c.withData(c.data().withZeroCopy(zeroCopy)))) {
            h.write("big.bin", big);
            try (FtpTestClient c = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD)) {
                c.command("TYPE I");
                InetSocketAddress data = c.epsv();
                try (Socket d = new Socket()) {
                    d.setReceiveBufferSize(64 * 1024);
                    d.connect(data, 5000);
                    long baseline = directMemoryInUse(); // other tests in this JVM hold pooled memory too
                    c.send("RETR big.bin");
                    assertThat(c.readReply().code()).isEqualTo(150);
                    byte[] chunk = new byte[10 * 1024];
                    long read = 0;
                    long min = Long.MAX_VALUE;
                    long max = 0;
                    long start = System.nanoTime();
                    for (int tick = 0; tick < 60; tick++) { // 6 s at 100 KiB/s
                        read += d.getInputStream().readNBytes(chunk, 0, chunk.length);
                        Thread.sleep(100);
                        if (tick >= 10) { // after the first second: buffers are full, the reader sets the pace
                            long used = directMemoryInUse();
                            min = Math.min(min, used);
                            max = Math.max(max, used);
                        }
                    }
                    double seconds = (System.nanoTime() - start) / 1e9;
                    System.out.printf("slow reader (zero-copy %s): direct memory baseline %d, min %d, max %d bytes%n", zeroCopy, baseline, min, max);
                    assertThat(read / seconds).isLessThan(120 * 1024); // it really was a slow reader
                    assertThat(max - min).as("direct memory %d..%d bytes while the client read slowly", min, max)
                            .isLessThan(4L * 1024 * 1024);
                    // Without back-pressure the 128 MiB file would be in memory within these seconds. The
                    // bound allows for the pooled allocator taking new chunks while the previous test's
                    // buffers are still being given back: seen once, 16 MiB + 10 KiB, and flat.
                    assertThat(max - baseline).as("direct memory above the baseline").isLessThan(32L * 1024 * 1024);
                    c.send("ABOR");
                }
                assertThat(c.readReply().code()).isIn(226, 426, 451);
                assertThat(c.readReply().code()).isIn(225, 226);
                assertThat(c.command("NOOP").code()).isEqualTo(200);
            }
            h.assertQuiescent();
        }
    }

    /**
     * On Java 22 and later the packaged proxy grows the pipes of bulk transfers to 1 MiB: both
     * directions of data byte-exact through curl, each bulk direction grows one pipe, and the
     * pipes' bytes go back to the budget when the transfers end. Runs the jar on such a JDK
     * (Temurin 25 on these machines); skipped where none is installed.
     */
    @Test
    void bulkTransfersGrowTheirPipesOnJava22AndLater() throws Exception {
        java.util.Optional<Path> java = dev.portcullis.testing.Jdks.javaAtLeast22();
        org.junit.jupiter.api.Assumptions.assumeTrue(java.isPresent(), "no JDK 22 or later on this machine");
        byte[] big = Digests.randomBytes(40 * 1024 * 1024 + 777, 11);
        Files.write(root.resolve("big.bin"), big);
        try (dev.portcullis.backend.EmbeddedFtpServer backend = dev.portcullis.backend.EmbeddedFtpServer.start("127.0.0.1", 0, root,
                    List.of(new dev.portcullis.backend.EmbeddedFtpServer.Account(ProxyHarness.USER, ProxyHarness.PASSWORD, true)));
             dev.portcullis.testing.PackagedProxy proxy = dev.portcullis.testing.PackagedProxy.start(java.get(), out,
                    "backend: 127.0.0.1:" + backend.port() + "\npassive-ports: 30700-30799\n")) {
            assertThat(proxy.log()).contains("pipes of bulk transfers grow to 1024 KiB").doesNotContain("restricted method");
            Processes.Result down = Processes.run(List.of("curl", "-sS", "--max-time", "60", "-o", out.resolve("down").toString(),
                    proxy.url("big.bin")), 70);
            assertThat(down.exitCode()).as(down.stderr()).isZero();
            assertThat(Digests.sha256(out.resolve("down"))).isEqualTo(Digests.sha256(big));
            Processes.Result up = Processes.run(List.of("curl", "-sS", "--max-time", "60", "-T", out.resolve("down").toString(),
                    proxy.url("up.bin")), 70);
            assertThat(up.exitCode()).as(up.stderr()).isZero();
            assertThat(Digests.sha256(root.resolve("up.bin"))).isEqualTo(Digests.sha256(big));
            assertThat(proxy.metric("portcullis_data_zero_copy_relays_total")).isEqualTo(2);
            assertThat(proxy.metric("portcullis_data_splice_pipes_grown_total")).as("one pipe per bulk direction").isEqualTo(2);
            ProxyHarness.awaitTrue(Duration.ofSeconds(5), () -> proxy.metricQuietly("portcullis_data_splice_pipe_bytes") == 0);
            assertThat(proxy.metric("portcullis_data_splice_pipe_bytes")).as("grown pipes given back").isZero();
        }
    }
}
