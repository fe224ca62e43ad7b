package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.backend.EmbeddedFtpServer;
import dev.portcullis.testing.Digests;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.FtpTestClient.Reply;
import dev.portcullis.testing.ProxyHarness;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged proxy under signals, as systemd and Kubernetes send them: SIGTERM drains, SIGHUP reloads. */
class LifecycleIT {

    @TempDir
    Path root;
    @TempDir
    Path dir;
    EmbeddedFtpServer backend;
    Process proxy;
    int port;

    @BeforeEach
    void startBackend() throws Exception {
        backend = EmbeddedFtpServer.start("127.0.0.1", 0, root, List.of(
                new EmbeddedFtpServer.Account(ProxyHarness.USER, ProxyHarness.PASSWORD, true)));
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
    }

    @AfterEach
    void stopAll() throws Exception {
        if (Files.exists(dir.resolve("proxy.log"))) {
            System.out.println("---- proxy.log ----\n" + log()); // for the report when a test fails
        }
        if (proxy != null && proxy.isAlive()) {
            proxy.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        backend.close();
    }

    private Path writeConfig(String extra) throws IOException {
        Path cfg = dir.resolve("portcullis.yaml");
        Files.writeString(cfg, "listen: 127.0.0.1:" + port + "\nbackend: 127.0.0.1:" + backend.port()
                + "\npassive-ports: 30600-30699\nadmin: {listen: \"127.0.0.1:0\", drain-timeout: 20s}\n" + extra);
        return cfg;
    }

    private void startProxy(Path cfg, String... prefix) throws Exception {
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of(prefix));
        command.addAll(java.util.List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                Path.of("target", "portcullis.jar").toString(), "--config", cfg.toString()));
        proxy = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("proxy.log").toFile()).start();
        // Wait for the proxy's own word: a bare connect loop to a port in the ephemeral range can
        // succeed by connecting the socket to itself before anything listens there.
        ProxyHarness.awaitTrue(java.time.Duration.ofSeconds(30), () -> {
            try {
                return log().contains("listening on");
            } catch (IOException e) {
                return false;
            }
        });
        assertThat(log()).contains("listening on");
    }

    private String log() throws IOException {
        return Files.readString(dir.resolve("proxy.log"));
    }

    private void signal(String sig) throws Exception {
        assertThat(new ProcessBuilder("kill", "-" + sig, Long.toString(proxy.pid())).start().waitFor()).isZero();
    }

    @Test
    void sigtermLetsTheRunningTransferFinishAndRefusesNewConnections() throws Exception {
        byte[] file = Digests.randomBytes(16 * 1024 * 1024, 9);
        Files.write(root.resolve("big.bin"), file);
        startProxy(writeConfig(""));
        try (FtpTestClient c = FtpTestClient.login(new InetSocketAddress("127.0.0.1", port), ProxyHarness.USER, ProxyHarness.PASSWORD)) {
            c.command("TYPE I");
            InetSocketAddress data = c.pasv();
            try (Socket d = new Socket()) {
                d.connect(data, 5000);
                c.send("RETR big.bin");
                assertThat(c.readReply().code()).isEqualTo(150);
                InputStream in = d.getInputStream();
                byte[] first = in.readNBytes(1024 * 1024);
                proxy.destroy(); // SIGTERM
                ProxyHarness.awaitTrue(java.time.Duration.ofSeconds(10), () -> {
                    try {
                        return log().contains("draining");
                    } catch (IOException e) {
                        return false;
                    }
                });
                boolean refused;
                try (Socket late = new Socket()) {
                    late.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                    refused = false;
                } catch (IOException e) {
                    refused = true;
                }
                assertThat(refused).as("new connections are refused while draining").isTrue();
                byte[] rest = in.readAllBytes(); // 15 MiB still to come after SIGTERM: the drain waits for them
                byte[] all = new byte[first.length + rest.length];
                System.arraycopy(first, 0, all, 0, first.length);
                System.arraycopy(rest, 0, all, first.length, rest.length);
                assertThat(Digests.sha256(all)).isEqualTo(Digests.sha256(file));
            }
            assertThat(c.readReply().code()).isEqualTo(226);
            Reply bye = c.readReply();
            assertThat(bye.code()).isEqualTo(421);
            assertThat(bye.last()).contains("shutting down");
        }
        assertThat(proxy.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(proxy.exitValue()).as(log()).isZero();
    }

    /**
     * The log's reader (journald, a container runtime, a pipe) stops reading: the proxy's log
     * writes must never stall the event loops, so sessions go on; lines that do not fit are dropped.
     */
    @Test
    void aLogReaderThatStopsReadingNeverStallsSessions() throws Exception {
        proxy = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                Path.of("target", "portcullis.jar").toString(), "--config", writeConfig("").toString())
                .redirectErrorStream(true).start(); // a pipe this test stops reading
        java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(proxy.getInputStream(),
                java.nio.charset.StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null && !line.contains("listening on")) {
            // read up to the listener's line, then never again
        }
        assertThat(line).isNotNull();
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        // Each session logs three lines of ~100 bytes: 600 sessions are several times a 64 KiB pipe.
        for (int i = 0; i < 600; i++) {
            try (FtpTestClient c = FtpTestClient.login(address, ProxyHarness.USER, ProxyHarness.PASSWORD)) {
                c.socket().setSoTimeout(5_000);
                assertThat(c.command("NOOP").code()).as("session %d", i).isEqualTo(200);
            }
        }
        proxy.destroy(); // SIGTERM: exits although its log pipe is still full
        assertThat(proxy.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(proxy.exitValue()).isZero();
    }

    @Test
    void aProxyStartedUnderNohupSaysThatSighupCannotReloadIt() throws Exception {
        // nohup leaves SIGHUP ignored; the JVM then keeps it ignored and refuses a handler without a word.
        startProxy(writeConfig(""), "nohup");
        ProxyHarness.awaitTrue(java.time.Duration.ofSeconds(10), () -> {
            try {
                return log().contains("SIGHUP is ignored");
            } catch (IOException e) {
                return false;
            }
        });
        assertThat(log()).contains("SIGHUP is ignored in this process (started under nohup?): reload by SIGHUP is unavailable");
    }

    @Test
    void sighupAppliesANewLimitToNewSessionsAndRefusesABrokenConfig() throws Exception {
        Path cfg = writeConfig("limits: {max-line-length: 100}\n");
        startProxy(cfg);
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        String longCommand = "NOOP " + "x".repeat(150);
        try (FtpTestClient old = FtpTestClient.login(address, ProxyHarness.USER, ProxyHarness.PASSWORD)) {
            assertThat(old.command(longCommand).code()).isEqualTo(500);

            writeConfig("limits: {max-line-length: 4096}\n");
            signal("HUP");
            ProxyHarness.awaitTrue(java.time.Duration.ofSeconds(10), () -> {
                try {
                    return log().contains("configuration reloaded");
                } catch (IOException e) {
                    return false;
                }
            });
            try (FtpTestClient fresh = FtpTestClient.login(address, ProxyHarness.USER, ProxyHarness.PASSWORD)) {
                assertThat(fresh.command(longCommand).code()).isEqualTo(200); // the backend's NOOP answer
            }
            assertThat(old.command(longCommand).code()).as("a live session keeps its configuration").isEqualTo(500);

            Files.writeString(cfg, "listen: 127.0.0.1:" + port + "\nlimits: {max-line-length: 5}\n");
            signal("HUP");
            ProxyHarness.awaitTrue(java.time.Duration.ofSeconds(10), () -> {
                try {
                    return log().contains("reload refused");
                } catch (IOException e) {
                    return false;
                }
            });
            assertThat(log()).contains("reload refused").contains("limits.max-line-length: '5'");
            try (FtpTestClient after = FtpTestClient.login(address, ProxyHarness.USER, ProxyHarness.PASSWORD)) {
                assertThat(after.command(longCommand).code()).as("the previous configuration still serves").isEqualTo(200);
            }
        }
    }
}
