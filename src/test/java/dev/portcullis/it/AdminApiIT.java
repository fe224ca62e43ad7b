package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.config.AdminConfig;
import dev.portcullis.testing.DataMode;
import dev.portcullis.testing.Digests;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.Processes;
import dev.portcullis.testing.ProxyHarness;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runtime API driven with curl against a running proxy with sessions in flight, and its CLI. */
class AdminApiIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path root;

    private static ProxyHarness start(Path root, Optional<String> token) throws Exception {
        AdminConfig admin = new AdminConfig(Optional.of(new InetSocketAddress("127.0.0.1", 0)), Duration.ofSeconds(30), token);
        return ProxyHarness.start(root, c -> c.withAdmin(admin));
    }

    /** curl against the admin listener: the status code, then the body. */
    private static Processes.Result curl(ProxyHarness h, String method, String path, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--max-time", "10", "-X", method, "-w", "\n%{http_code}"));
        cmd.addAll(List.of(extra));
        cmd.add("http://127.0.0.1:" + h.proxy().adminAddress().getPort() + path);
        return Processes.run(cmd, 20);
    }

    private static int status(Processes.Result r) {
        String[] lines = r.out().strip().split("\n");
        return Integer.parseInt(lines[lines.length - 1].strip());
    }

    private static JsonNode body(Processes.Result r) throws Exception {
        String out = r.out().strip();
        return JSON.readTree(out.substring(0, out.lastIndexOf('\n')));
    }

    @Test
    void drainLetsTheTransferFinishMaintClosesAndSessionsCanBeListedAndClosed() throws Exception {
        byte[] big = Digests.randomBytes(24 * 1024 * 1024, 5);
        try (ProxyHarness h = start(root, Optional.empty())) {
            h.write("big.bin", big);
            String backend = "127.0.0.1:" + h.backendPort();
            try (FtpTestClient a = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD);
                 DataMode.Prepared data = DataMode.EPSV.prepare(a)) {
                a.command("TYPE I");
                a.send("RETR big.bin");
                Socket d = data.open();
                assertThat(a.readReply().code()).isEqualTo(150);
                InputStream in = d.getInputStream();
                byte[] head = in.readNBytes(1024 * 1024); // then the client pauses: the transfer stays in flight

                Processes.Result list = curl(h, "GET", "/sessions");
                assertThat(status(list)).as(list.out()).isEqualTo(200);
                JsonNode s = body(list).path("sessions").get(0);
                assertThat(s.path("user").asText()).isEqualTo(ProxyHarness.USER);
                assertThat(s.path("backend").asText()).isEqualTo(backend);
                assertThat(s.path("client").asText()).startsWith("127.0.0.1:");
                assertThat(s.path("tls").asBoolean()).isFalse();
                assertThat(s.path("transfer").path("command").asText()).isEqualTo("RETR");
                assertThat(s.path("transfer").path("path").asText()).isEqualTo("big.bin");
                assertThat(s.path("transfer").path("bytes").asLong()).isGreaterThanOrEqualTo(head.length);

                Processes.Result drain = curl(h, "POST", "/backends/" + backend + "/state?state=drain");
                assertThat(status(drain)).as(drain.out()).isEqualTo(200);
                assertThat(body(curl(h, "GET", "/backends")).path("backends").get(0).path("state").asText()).isEqualTo("drain");
                try (FtpTestClient refused = FtpTestClient.connect(h.proxyAddress())) {
                    assertThat(refused.readReply().code()).as("no new sessions on a draining backend").isEqualTo(421);
                }
                byte[] rest = in.readAllBytes();
                byte[] all = new byte[head.length + rest.length];
                System.arraycopy(head, 0, all, 0, head.length);
                System.arraycopy(rest, 0, all, head.length, rest.length);
                assertThat(Digests.sha256(all)).as("the running transfer finishes byte-exact").isEqualTo(Digests.sha256(big));
                assertThat(a.readReply().code()).isEqualTo(226);
                assertThat(a.command("NOOP").code()).isEqualTo(200);

                assertThat(status(curl(h, "POST", "/backends/" + backend + "/state?state=ready"))).isEqualTo(200);
                try (FtpTestClient b = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD)) {
                    Processes.Result maint = curl(h, "POST", "/backends/" + backend + "/state?state=maint");
                    assertThat(status(maint)).as(maint.out()).isEqualTo(200);
                    assertThat(body(maint).path("closed_sessions").asInt()).isEqualTo(2);
                    FtpTestClient.Reply r = b.readReply();
                    assertThat(r.code()).isEqualTo(421);
                    assertThat(r.last()).contains("maintenance");
                    assertThat(a.readReply().code()).isEqualTo(421);
                }
            }
            assertThat(status(curl(h, "POST", "/backends/" + backend + "/state?state=ready"))).isEqualTo(200);
            try (FtpTestClient c = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD)) {
                String id = body(curl(h, "GET", "/sessions")).path("sessions").get(0).path("id").asText();
                // The CLI shows the same session to a human.
                Processes.Result ctl = Processes.run(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                        "target/portcullis.jar", "ctl", "--admin", "127.0.0.1:" + h.proxy().adminAddress().getPort(), "sessions"), 60);
                assertThat(ctl.exitCode()).as(ctl.stderr()).isZero();
                assertThat(ctl.out()).contains(id).contains(ProxyHarness.USER).contains(backend);
                Processes.Result close = curl(h, "POST", "/sessions/" + id + "/close");
                assertThat(status(close)).as(close.out()).isEqualTo(200);
                FtpTestClient.Reply r = c.readReply();
                assertThat(r.code()).isEqualTo(421);
                assertThat(r.last()).contains("closed by the administrator");
            }
            // Bad input: a clear 4xx with the reason.
            Processes.Result weird = curl(h, "POST", "/backends/" + backend + "/state?state=sideways");
            assertThat(status(weird)).isEqualTo(400);
            assertThat(body(weird).path("error").asText()).contains("ready, drain or maint").contains("sideways");
            assertThat(status(curl(h, "POST", "/backends/192.0.2.1:21/state?state=drain"))).isEqualTo(404);
            assertThat(status(curl(h, "POST", "/sessions/nope/close"))).isEqualTo(404);
            assertThat(status(curl(h, "GET", "/sessions/nope/close"))).isEqualTo(405);
            h.assertQuiescent();
        }
    }

    @Test
    void withATokenEveryCallNeedsIt() throws Exception {
        String token = "t0ken-for-the-admin-api";
        try (ProxyHarness h = start(root, Optional.of(token))) {
            assertThat(status(curl(h, "GET", "/sessions"))).isEqualTo(401);
            assertThat(status(curl(h, "GET", "/backends", "-H", "Authorization: Bearer wrong-token-wrong-token"))).isEqualTo(401);
            assertThat(status(curl(h, "GET", "/backends", "-H", "Authorization: Bearer " + token))).isEqualTo(200);
            Processes.Result ctl = Processes.run(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                    "target/portcullis.jar", "ctl", "--admin", "127.0.0.1:" + h.proxy().adminAddress().getPort(), "backends"), 60);
            assertThat(ctl.exitCode()).isEqualTo(1);
            assertThat(ctl.stderr()).contains("401").contains("Bearer");
            Processes.Result withToken = Processes.run(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                    "target/portcullis.jar", "ctl", "--admin", "127.0.0.1:" + h.proxy().adminAddress().getPort(), "--token", token, "backends"), 60);
            assertThat(withToken.exitCode()).as(withToken.stderr()).isZero();
            assertThat(withToken.out()).contains("127.0.0.1:" + h.backendPort()).contains("ready");
        }
    }
}
