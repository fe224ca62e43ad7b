package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.testing.Jdks;
import dev.portcullis.testing.Processes;
import dev.portcullis.testing.Processes.Result;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * systemd/portcullis-java, the launcher of the aot-cache drop-in, on a JDK 25+: the first start
 * trains and writes the cache as the proxy stops (SIGTERM), replacing a stale cache of another
 * build; the second start maps it (-XX:AOTMode=on makes a refused cache fail the start) and serves
 * curl from the demo backend. Skipped where no JDK 25 is installed.
 */
class AotCacheLauncherIT {

    @TempDir
    Path dir;

    @Test
    void firstStartTrainsTheCacheAndTheNextStartMapsIt() throws Exception {
        Path java = Jdks.javaAtLeast(25).orElse(null);
        Assumptions.assumeTrue(java != null, "no JDK 25 or newer here");
        Path state = Files.createDirectories(dir.resolve("state"));
        Path stale = Files.writeString(state.resolve("portcullis-12345.aot"), "a cache of another build");

        Process training = start(java, state, List.of(), "training.log");
        curlListing(training, "training.log");
        training.destroy(); // SIGTERM: drain, then the JVM writes the cache as it exits
        assertThat(training.waitFor(60, TimeUnit.SECONDS)).as("the training run exits").isTrue();
        assertThat(training.exitValue()).as(log("training.log")).isZero();
        List<Path> caches = caches(state);
        assertThat(caches).as(log("training.log")).hasSize(1);
        assertThat(caches.get(0)).isNotEqualTo(stale).isNotEmptyFile();

        Process cached = start(java, state, List.of("-XX:AOTMode=on"), "cached.log");
        try {
            curlListing(cached, "cached.log");
            assertThat(log("cached.log")).doesNotContain("AOT cache").doesNotContain("Unable to map");
        } finally {
            cached.destroy();
            assertThat(cached.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(caches(state)).containsExactlyElementsOf(caches);
    }

    private Process start(Path java, Path state, List<String> jvmOptions, String logName) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> cmd = new ArrayList<>(List.of("sh", "systemd/portcullis-java", state.toString(), "-XX:+UseSerialGC", "-Xss256k"));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-jar", "target/portcullis.jar", "--listen", "127.0.0.1:" + port, "--passive-ports", "30720-30729",
                "--admin-listen", "off"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(logName).toFile());
        pb.environment().put("PORTCULLIS_JAVA", java.toString());
        Process p = pb.start();
        try {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .failFast("the proxy exited", () -> !p.isAlive())
                    .until(() -> log(logName).contains("listening on /127.0.0.1:" + port));
        } catch (RuntimeException | Error e) {
            p.destroyForcibly();
            throw new AssertionError(log(logName), e);
        }
        return p;
    }

    private void curlListing(Process proxy, String logName) throws Exception {
        String port = log(logName).replaceAll("(?s).*listening on /127\\.0\\.0\\.1:(\\d+).*", "$1");
        Result ls = Processes.run(List.of("curl", "-sS", "--max-time", "20", "ftp://127.0.0.1:" + port + "/welcome.txt"), 30);
        assertThat(ls.exitCode()).as(ls.stderr()).isZero();
        assertThat(ls.out()).contains("Hello from the Portcullis demo backend.");
        assertThat(proxy.isAlive()).isTrue();
    }

    private static List<Path> caches(Path state) throws IOException {
        try (Stream<Path> files = Files.list(state)) {
            return files.filter(f -> f.getFileName().toString().matches("portcullis-\\d+\\.aot")).sorted().toList();
        }
    }

    private String log(String name) {
        try {
            return Files.readString(dir.resolve(name));
        } catch (IOException e) {
            return "";
        }
    }
}
