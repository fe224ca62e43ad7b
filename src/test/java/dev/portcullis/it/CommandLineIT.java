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

    @Test
    void checkConfigValidatesPrintsTheEffectiveConfigAndBindsNothing() throws Exception {
        int port = freePort();
        Path good = dir.resolve("good.yaml");
        Files.writeString(good, "listen: 127.0.0.1:" + port + "\nbackend: 192.0.2.10:21\npassive-ports: 30600-30609\n"
                + "limits: {max-sessions: 500}\nhealth-check: {user: probe, password: s3cret-probe}\n");
        Result ok = Processes.run(java("--check-config", good.toString(), "--max-sessions-per-ip", "7"), 60);
        assertThat(ok.exitCode()).as(ok.stderr()).isZero();
        assertThat(ok.out()).contains("configuration is valid").contains("listen: [\"127.0.0.1:" + port + "\"]")
                .contains("backend: [\"192.0.2.10:21\"]").contains("max-sessions: 500").contains("max-sessions-per-ip: 7")
                .contains("passive-ports: \"30600-30609\"").contains("password: \"****\"").doesNotContain("s3cret-probe");
        // Nothing was bound: the listen port is still free.
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", port));
        }
        // What it printed is a config file that loads to the same configuration.
        Path again = dir.resolve("again.yaml");
        Files.writeString(again, ok.out());
        Result twice = Processes.run(java("--check-config", again.toString()), 60);
        assertThat(twice.exitCode()).as(twice.stderr()).isZero();
        assertThat(twice.out().lines().skip(1).toList()).isEqualTo(ok.out().lines().skip(1).toList());

        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "limits: {max-line-length: 10}\n");
        Result refused = Processes.run(java("--check-config", bad.toString()), 60);
        assertThat(refused.exitCode()).isEqualTo(2);
        assertThat(refused.stderr()).contains(bad + ": limits.max-line-length: '10' (expected a whole number from 64 to 65536)");
        assertThat(refused.out()).isEmpty();
    }
}
