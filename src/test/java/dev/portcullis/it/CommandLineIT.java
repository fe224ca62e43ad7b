package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.testing.Processes;
import dev.portcullis.testing.Processes.Result;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged jar as a user runs it: --help, config errors, and the demo default with curl. */
class CommandLineIT {

    static final Path JAR = Path.of("target", "portcullis.jar");

    @TempDir
    Path dir;

    private static List<String> java(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void helpDocumentsEveryFlag() throws Exception {
        Result r = Processes.run(java("--help"), 60);
        assertThat(r.exitCode()).isZero();
        for (String flag : List.of("--config", "--listen", "--backend", "--passive-ports", "--public-address", "--tls-cert", "--tls-key",
                "--implicit-tls-listen", "--tls-policy", "--data-protection", "--backend-tls", "--backend-ca", "--admin-listen",
                "--proxy-protocol", "--max-sessions-per-ip", "--ban-after", "--ban-time", "--help", "--version")) {
            assertThat(r.out()).contains(flag);
        }
    }

    @Test
    void badFlagValueExitsNonZeroNamingFlagAndValueWithoutBinding() throws Exception {
        int port = freePort();
        Result r = Processes.run(java("--listen", "127.0.0.1:" + port, "--passive-ports", "70000-70100"), 60);
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.stderr()).contains("--passive-ports: '70000-70100'").contains("expected");
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", port)); // never bound by the failed start
        }
    }

    @Test
    void badConfigFileExitsNonZeroNamingFileKeyAndValue() throws Exception {
        Path cfg = dir.resolve("bad.yaml");
        Files.writeString(cfg, "listen: 127.0.0.1:2121\ntimeouts:\n  idle: -5s\n");
        Result r = Processes.run(java("--config", cfg.toString()), 60);
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.stderr()).contains(cfg.toString()).contains("timeouts.idle").contains("'-5s'");
        assertThat(r.stderr()).doesNotContain("Exception");
    }

    @Test
    void demoDefaultServesAListingToCurl() throws Exception {
        int port = freePort();
        Process p = new ProcessBuilder(java("--listen", "127.0.0.1:" + port, "--passive-ports", "30500-30509", "--admin-listen", "127.0.0.1:0"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile()).start();
        try {
            // The proxy's log, not a connect loop: connecting to an unused port in the ephemeral
            // range can succeed by connecting the socket to itself.
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).pollInterval(java.time.Duration.ofMillis(100))
                    .failFast("the proxy exited", () -> !p.isAlive())
                    .untilAsserted(() -> assertThat(Files.readString(dir.resolve("out.log"))).contains("listening on"));
            Result ls = Processes.run(List.of("curl", "-sS", "--max-time", "20", "ftp://127.0.0.1:" + port + "/"), 30);
            assertThat(ls.exitCode()).as(ls.stderr()).isZero();
            assertThat(ls.out()).contains("welcome.txt");
            Result get = Processes.run(List.of("curl", "-sS", "--max-time", "20", "ftp://127.0.0.1:" + port + "/welcome.txt"), 30);
            assertThat(get.out()).contains("Hello from the Portcullis demo backend.");
            String log = Files.readString(dir.resolve("out.log"));
            assertThat(log).contains("DEMO MODE").contains("transport: ").contains(" login user=anonymous");
        } finally {
            p.destroy(); // SIGTERM: the shutdown hook stops the server
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        }
    }
}
