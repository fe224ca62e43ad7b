package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.testing.ProxyHarness;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * sd_notify as systemd receives it: a test NOTIFY_SOCKET (a Unix datagram socket read by Python,
 * as systemd's own would be), the packaged jar started with it: READY=1 with its MAINPID once it
 * listens, WATCHDOG=1 pings at half of WATCHDOG_USEC, STOPPING=1 on SIGTERM, then exit 0.
 */
class SystemdNotifyIT {

    @TempDir
    Path dir;

    @Test
    void readyWatchdogAndStoppingReachTheNotifySocket() throws Exception {
        // sd_notify goes through Netty's epoll transport; elsewhere the proxy says so and sends nothing.
        org.junit.jupiter.api.Assumptions.assumeTrue(io.netty.channel.epoll.Epoll.isAvailable(), "no native epoll transport here");
        Path socket = dir.resolve("notify.sock");
        Path received = dir.resolve("received.txt");
        Process receiver = new ProcessBuilder("python3", "-c", String.join("\n",
                "import socket, sys",
                "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
                "s.bind(sys.argv[1])",
                "s.settimeout(60)",
                "with open(sys.argv[2], 'a') as out:",
                "    while True:",
                "        try:",
                "            m = s.recv(4096)",
                "        except socket.timeout:",
                "            break",
                "        out.write(m.decode().replace('\\n', '|') + '\\n')",
                "        out.flush()"), socket.toString(), received.toString()).redirectErrorStream(true).start();
        Process proxy = null;
        try {
            ProxyHarness.eventually(Duration.ofSeconds(10), () -> assertThat(socket).exists());
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                    Path.of("target", "portcullis.jar").toString(), "--listen", "127.0.0.1:" + port, "--passive-ports", "30710-30719",
                    "--admin-listen", "off").redirectErrorStream(true).redirectOutput(dir.resolve("proxy.log").toFile());
            pb.environment().put("NOTIFY_SOCKET", socket.toString());
            pb.environment().put("WATCHDOG_USEC", "400000");
            proxy = pb.start();
            long pid = proxy.pid();
            ProxyHarness.eventually(Duration.ofSeconds(30), () -> assertThat(lines(received))
                    .anyMatch(l -> l.startsWith("READY=1|STATUS=listening on") && l.endsWith("|MAINPID=" + pid)));
            ProxyHarness.eventually(Duration.ofSeconds(5), () -> assertThat(lines(received)).filteredOn("WATCHDOG=1"::equals).hasSizeGreaterThan(2));
            assertThat(lines(received)).noneMatch(l -> l.startsWith("STOPPING=1"));
            proxy.destroy(); // SIGTERM
            assertThat(proxy.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(proxy.exitValue()).isZero();
            ProxyHarness.eventually(Duration.ofSeconds(5), () -> assertThat(lines(received)).anyMatch(l -> l.startsWith("STOPPING=1|STATUS=draining")));
        } finally {
            if (proxy != null && proxy.isAlive()) {
                proxy.destroyForcibly();
            }
            receiver.destroy();
            receiver.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static List<String> lines(Path f) throws IOException {
        return Files.exists(f) ? Files.readAllLines(f) : List.of();
    }
}
