package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.config.AdminConfig;
import dev.portcullis.config.CommandRules;
import dev.portcullis.config.ProxyConfig;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.FtpTestClient.Reply;
import dev.portcullis.testing.ProxyHarness;
import dev.portcullis.testing.Scrape;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bans after failed logins: refused at connect, visible in metrics, released by the admin endpoint, kept across restarts. */
class LoginBansIT {

    @TempDir
    Path root;
    @TempDir
    Path state;

    private ProxyConfig withBans(ProxyConfig c) {
        return c.withAdmin(new AdminConfig(Optional.of(new InetSocketAddress("127.0.0.1", 0)), Duration.ofSeconds(30)))
                .withCommands(new CommandRules(List.of(), false, 3, Duration.ofMinutes(5), Duration.ofHours(1),
                        Optional.of(state.resolve("bans.json"))));
    }

    @Test
    void banReleaseAndRestart() throws Exception {
        try (ProxyHarness h = ProxyHarness.start(root, this::withBans)) {
            for (int i = 1; i <= 3; i++) {
                try (FtpTestClient c = FtpTestClient.connect(h.proxyAddress())) {
                    assertThat(c.readReply().code()).isEqualTo(220);
                    c.command("USER " + ProxyHarness.USER);
                    assertThat(c.command("PASS wrong-" + i).code()).isEqualTo(530);
                    if (i == 3) {
                        Reply bye = c.readReply();
                        assertThat(bye.code()).isEqualTo(421);
                        assertThat(bye.last()).contains("Too many failed logins");
                    }
                }
            }
            try (FtpTestClient c = FtpTestClient.connect(h.proxyAddress())) {
                assertThat(c.readReply().code()).as("a banned address is refused at connect").isEqualTo(421);
            }
            InetSocketAddress admin = h.proxy().adminAddress();
            assertThat(Scrape.metrics(admin).value("portcullis_bans_active")).isEqualTo(1);
            assertThat(Scrape.get(admin, "/bans").body()).contains("127.0.0.1");
            h.proxy().bans().flush();
        }
        // A restart keeps the ban (same file); the admin endpoint lifts it.
        try (ProxyHarness h = ProxyHarness.start(root, this::withBans)) {
            try (FtpTestClient c = FtpTestClient.connect(h.proxyAddress())) {
                assertThat(c.readReply().code()).isEqualTo(421);
            }
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + h.proxy().adminAddress().getPort() + "/bans/release?address=127.0.0.1"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            try (FtpTestClient c = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD)) {
                assertThat(c.command("NOOP").code()).isEqualTo(200);
            }
        }
    }
}
