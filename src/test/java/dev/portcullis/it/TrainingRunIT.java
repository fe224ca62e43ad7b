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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code portcullis train}, the packaged jar's own training run for an AOT cache (deploy/Dockerfile
 * runs it at image build): sessions through a proxy in front of the demo backend, on loopback, every
 * one of them completed; on a JDK 25+ the cache it leaves is mapped by the next start
 * (-XX:AOTMode=on fails the start if it is refused), which then serves curl.
 */
class TrainingRunIT {

    private static final Pattern SUMMARY =
            Pattern.compile("portcullis train: (\\d+) sessions \\((\\d+) failed\\) through /127\\.0\\.0\\.1:\\d+ in (\\d+) s");

    @TempDir
    Path dir;

    @Test
    void trainsOnListingSessionsThroughTheDemoBackendAndStops() throws Exception {
        Result r = Processes.run(List.of("java", "-jar", "target/portcullis.jar", "train", "--min-seconds", "10", "--max-seconds", "10",
                "--passive-ports", "30740-30749"), 60);
        assertThat(r.exitCode()).as(r.out() + r.stderr()).isZero();
        Matcher m = SUMMARY.matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        assertThat(Long.parseLong(m.group(1))).as("sessions completed").isPositive();
        assertThat(m.group(2)).as("failed sessions: " + r.out()).isEqualTo("0");
        assertThat(Integer.parseInt(m.group(3))).isBetween(10, 12);
        assertThat(r.stderr()).contains("close (QUIT)").doesNotContain("Exception");
    }

    @Test
    void refusesOptionsThatCannotTrain() throws Exception {
        Result r = Processes.run(List.of("java", "-jar", "target/portcullis.jar", "train", "--min-seconds", "30", "--max-seconds", "20"), 30);
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.stderr()).contains("--max-seconds >= --min-seconds").contains("30, 20");
        Result range = Processes.run(List.of("java", "-jar", "target/portcullis.jar", "train", "--passive-ports", "70000-70010"), 30);
        assertThat(range.exitCode()).isEqualTo(2);
        assertThat(range.stderr()).contains("portcullis train: ").contains("70000-70010").doesNotContain("\tat ");
    }

    @Test
    void theCacheItLeavesIsMappedByTheNextStart() throws Exception {
        Path java = Jdks.javaAtLeast(25).orElse(null);
        Assumptions.assumeTrue(java != null, "no JDK 25 or newer here");
        Path cache = dir.resolve("portcullis.aot");
        Result training = Processes.run(List.of(java.toString(), "-XX:+UseSerialGC", "-XX:AOTCacheOutput=" + cache, "-jar",
                "target/portcullis.jar", "train", "--min-seconds", "10", "--max-seconds", "10", "--passive-ports", "30750-30759"), 120);
        assertThat(training.exitCode()).as(training.out() + training.stderr()).isZero();
        assertThat(cache).as(training.stderr()).isNotEmptyFile();

        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "-XX:+UseSerialGC", "-XX:AOTCache=" + cache, "-XX:AOTMode=on",
                "-jar", "target/portcullis.jar", "--listen", "127.0.0.1:" + port, "--passive-ports", "30760-30769", "--admin-listen", "off"));
        Path log = dir.resolve("cached.log");
        Process proxy = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .failFast("the proxy exited: " + read(log), () -> !proxy.isAlive())
                    .until(() -> read(log).contains("listening on /127.0.0.1:" + port));
            Result ls = Processes.run(List.of("curl", "-sS", "--max-time", "20", "ftp://127.0.0.1:" + port + "/welcome.txt"), 30);
            assertThat(ls.exitCode()).as(ls.stderr()).isZero();
            assertThat(ls.out()).contains("Hello from the Portcullis demo backend.");
            assertThat(read(log)).doesNotContain("AOT cache").doesNotContain("Unable to map");
        } finally {
            proxy.destroy();
            assertThat(proxy.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }
}
