package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.backend.EmbeddedFtpServer;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.PackagedProxy;
import dev.portcullis.testing.Processes;
import dev.portcullis.testing.ProxyHarness;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/fail2ban's filter against the lines a running Portcullis wrote: every refused login
 * matches with the client's address, a successful one does not, and a USER name dressed up as
 * an address does not move the ban onto that address.
 */
class FailedLoginFilterIT {

    private static final Path FILTER = Path.of("deploy", "fail2ban", "filter.d", "portcullis.conf");

    @TempDir
    Path dir;

    @Test
    void theFilterFindsEveryRefusedLoginWithTheClientsAddress() throws Exception {
        boolean haveFail2ban = Processes.available("fail2ban-regex");
        if (!haveFail2ban && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("fail2ban-regex is missing under CI: .ci/run installs fail2ban");
        }
        Assumptions.assumeTrue(haveFail2ban, "fail2ban-regex not installed");
        Path root = Files.createDirectories(dir.resolve("root"));
        try (EmbeddedFtpServer backend = EmbeddedFtpServer.start("127.0.0.1", 0, root, List.of(
                new EmbeddedFtpServer.Account(ProxyHarness.USER, ProxyHarness.PASSWORD, false)));
             PackagedProxy proxy = PackagedProxy.start(Path.of(System.getProperty("java.home"), "bin", "java"), dir,
                     "backend: 127.0.0.1:" + backend.port() + "\npassive-ports: 30700-30709\npolicy: {ban-after-failures: 0}\n")) {
            InetSocketAddress at = new InetSocketAddress("127.0.0.1", proxy.port());
            for (String user : List.of(ProxyHarness.USER, "mallory", "x from 203.0.113.9")) {
                try (FtpTestClient c = FtpTestClient.connect(at)) {
                    assertThat(c.readReply().code()).isEqualTo(220);
                    c.command("USER " + user);
                    assertThat(c.command("PASS wrong").code()).isEqualTo(530);
                }
            }
            FtpTestClient.login(at, ProxyHarness.USER, ProxyHarness.PASSWORD).close();
            ProxyHarness.eventually(Duration.ofSeconds(10), () -> assertThat(proxy.log()).contains("login user=" + ProxyHarness.USER));
            Path log = dir.resolve("portcullis-for-fail2ban.log");
            Files.writeString(log, proxy.log());

            Processes.Result ips = Processes.run(List.of("fail2ban-regex", "--out", "ip", log.toString(), FILTER.toString()), 60);
            assertThat(ips.exitCode()).as(ips.stderr()).isZero();
            assertThat(ips.out().lines().map(String::strip).filter(l -> !l.isEmpty()).toList())
                    .as(ips.out()).containsExactly("127.0.0.1", "127.0.0.1", "127.0.0.1");
            Processes.Result summary = Processes.run(List.of("fail2ban-regex", log.toString(), FILTER.toString()), 60);
            assertThat(summary.out()).as(summary.out()).containsPattern("Lines: \\d+ lines, 0 ignored, 3 matched");
        }
    }
}
