package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.PortcullisServer;
import dev.portcullis.backend.EmbeddedFtpServer;
import dev.portcullis.config.BackendPoolConfig;
import dev.portcullis.config.BackendPoolConfig.Balance;
import dev.portcullis.config.BackendPoolConfig.UserRoute;
import dev.portcullis.config.HealthCheckConfig;
import dev.portcullis.net.HostAndPort;
import dev.portcullis.config.ProxyConfig;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.Processes;
import dev.portcullis.testing.ProxyHarness;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Backend pools: balancing, failover with FTP-level health checks, per-user routing; driven with curl. */
class BackendPoolIT {

    private static final HealthCheckConfig FAST = ProxyHarness.FAST_HEALTH_CHECKS;

    @TempDir
    Path dir;

    private final List<EmbeddedFtpServer> backends = new ArrayList<>();

    @AfterEach
    void stopBackends() {
        backends.forEach(EmbeddedFtpServer::close);
    }

    /** A backend whose who.txt says its name; accounts alice and bob. */
    private EmbeddedFtpServer backend(String name) throws Exception {
        Path root = Files.createDirectories(dir.resolve(name));
        Files.writeString(root.resolve("who.txt"), name);
        EmbeddedFtpServer b = EmbeddedFtpServer.start("127.0.0.1", 0, root, List.of(
                new EmbeddedFtpServer.Account("alice", "wonderland", false),
                new EmbeddedFtpServer.Account("bob", "builder", false)));
        backends.add(b);
        return b;
    }

    private static HostAndPort at(EmbeddedFtpServer b) {
        return new HostAndPort("127.0.0.1", b.port());
    }

    private static PortcullisServer proxy(BackendPoolConfig pool) throws Exception {
        ProxyConfig c = ProxyHarness.baseConfig(1).withBackends(pool);
        return new PortcullisServer(c).start();
    }

    /** who.txt through the proxy with curl: the name of the backend that served the session. */
    private static String who(PortcullisServer p, String user, String password) throws Exception {
        Processes.Result r = Processes.run(List.of("curl", "-sS", "--max-time", "20",
                "ftp://" + user + ":" + password + "@127.0.0.1:" + p.boundAddresses().get(0).getPort() + "/who.txt"), 30);
        return r.exitCode() == 0 ? r.out() : "curl exit " + r.exitCode() + ": " + r.stderr().strip();
    }

    @Test
    void roundRobinSpreadsSessionsAndFailsOverWhenABackendStops() throws Exception {
        EmbeddedFtpServer a = backend("A");
        EmbeddedFtpServer b = backend("B");
        try (PortcullisServer p = proxy(new BackendPoolConfig(List.of(at(a), at(b)), Balance.ROUND_ROBIN, List.of(), FAST))) {
            List<String> served = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                served.add(who(p, "alice", "wonderland"));
            }
            assertThat(served).containsExactlyInAnyOrder("A", "B", "A", "B");
            assertThat(served.get(0)).isNotEqualTo(served.get(1));

            // A session on A while A is stopped: 421, never a hang.
            FtpTestClient first = FtpTestClient.login(p.boundAddresses().get(0), "alice", "wonderland");
            boolean firstOnA = sessionsOn(p, a) == 1;
            FtpTestClient second = FtpTestClient.login(p.boundAddresses().get(0), "alice", "wonderland");
            assertThat(sessionsOn(p, a)).as("two sessions in a row land on different backends").isEqualTo(1);
            FtpTestClient onA = firstOnA ? first : second;
            List<FtpTestClient> opened = List.of(first, second);
            a.close();
            FtpTestClient.Reply after = onA.command("NOOP");
            assertThat(after.code()).isEqualTo(421);
            for (FtpTestClient c : opened) {
                c.close();
            }
            ProxyHarness.awaitTrue(Duration.ofSeconds(5), () -> !member(p, a).up());
            assertThat(member(p, a).up()).isFalse();
            for (int i = 0; i < 3; i++) {
                assertThat(who(p, "alice", "wonderland")).isEqualTo("B");
            }
            assertThat(p.metrics().registry().find("portcullis.backend.up").tag("backend", at(a).toString()).gauge().value()).isZero();

            // Every backend down: 421 at once, before any backend connection.
            b.close();
            ProxyHarness.awaitTrue(Duration.ofSeconds(5), () -> !member(p, b).up());
            try (FtpTestClient c = FtpTestClient.connect(p.boundAddresses().get(0))) {
                FtpTestClient.Reply r = c.readReply();
                assertThat(r.code()).isEqualTo(421);
                assertThat(r.last()).contains("no FTP server is available");
            }
        }
    }

    private static dev.portcullis.backend.BackendMember member(PortcullisServer p, EmbeddedFtpServer b) {
        return p.backendPool().members().stream().filter(m -> m.address().equals(at(b))).findFirst().orElseThrow();
    }

    private static int sessionsOn(PortcullisServer p, EmbeddedFtpServer b) {
        return member(p, b).sessions();
    }

    @Test
    void aBackendThatRefusesConnectionsIsSkippedEvenBeforeItsCheckFails() throws Exception {
        EmbeddedFtpServer b = backend("B");
        int dead;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        HealthCheckConfig off = new HealthCheckConfig(false, Duration.ofSeconds(5), Duration.ofSeconds(1), 2, 2, false,
                Optional.empty(), Optional.empty());
        try (PortcullisServer p = proxy(new BackendPoolConfig(List.of(new HostAndPort("127.0.0.1", dead), at(b)),
                Balance.ROUND_ROBIN, List.of(), off))) {
            for (int i = 0; i < 4; i++) {
                assertThat(who(p, "alice", "wonderland")).isEqualTo("B");
            }
        }
    }

    @Test
    void leastConnectionsSendsNewSessionsToTheIdleBackend() throws Exception {
        EmbeddedFtpServer a = backend("A");
        EmbeddedFtpServer b = backend("B");
        try (PortcullisServer p = proxy(new BackendPoolConfig(List.of(at(a), at(b)), Balance.LEAST_CONNECTIONS, List.of(), FAST));
             FtpTestClient held = FtpTestClient.login(p.boundAddresses().get(0), "alice", "wonderland")) {
            String busy = sessionsOn(p, a) == 1 ? "A" : "B";
            String idle = busy.equals("A") ? "B" : "A";
            for (int i = 0; i < 3; i++) {
                assertThat(who(p, "bob", "builder")).isEqualTo(idle);
            }
            assertThat(held.command("NOOP").code()).isEqualTo(200);
        }
    }

    /** Per-user routing: alice to A, every b... name to B. */
    private static BackendPoolConfig aliceOnABobOnB(EmbeddedFtpServer a, EmbeddedFtpServer b) {
        return new BackendPoolConfig(List.of(), Balance.PER_USER, List.of(
                new UserRoute(Pattern.compile("alice"), List.of(at(a))),
                new UserRoute(Pattern.compile("b.*"), List.of(at(b)))), FAST);
    }

    @Test
    void perUserRoutingLogsInThroughTheUsersBackend() throws Exception {
        EmbeddedFtpServer a = backend("A");
        EmbeddedFtpServer b = backend("B");
        BackendPoolConfig pool = aliceOnABobOnB(a, b);
        try (PortcullisServer p = proxy(pool)) {
            assertThat(who(p, "alice", "wonderland")).isEqualTo("A");
            assertThat(who(p, "bob", "builder")).isEqualTo("B");
            // lftp too (FEAT and OPTS before login are answered by the proxy and replayed).
            if (Processes.available("lftp")) {
                Processes.Result r = Processes.run(List.of("lftp", "-c", "set net:max-retries 1; set net:timeout 10; "
                        + "open -u bob,builder ftp://127.0.0.1:" + p.boundAddresses().get(0).getPort() + "; cat who.txt"), 40);
                assertThat(r.out()).as(r.stderr()).isEqualTo("B");
            }
            InetSocketAddress proxy = p.boundAddresses().get(0);
            try (FtpTestClient c = FtpTestClient.connect(proxy)) {
                assertThat(c.readReply().code()).isEqualTo(220);
                assertThat(c.command("FEAT").all()).contains("EPSV").contains("UTF8");
                assertThat(c.command("PWD").code()).isEqualTo(530);
                assertThat(c.command("USER alice").code()).isEqualTo(331);
                assertThat(c.command("PASS wrong").code()).isEqualTo(530);
            }
            // No route for the name: the same 530 as a wrong password (names are not disclosed).
            try (FtpTestClient c = FtpTestClient.connect(proxy)) {
                assertThat(c.readReply().code()).isEqualTo(220);
                assertThat(c.command("USER mallory").code()).isEqualTo(331);
                assertThat(c.command("PASS x").code()).isEqualTo(530);
                assertThat(c.command("QUIT").code()).isEqualTo(221);
            }
            // The first client closed without QUIT: its session ends when the proxy sees the close.
            ProxyHarness.eventually(Duration.ofSeconds(5), () -> assertThat(sessionsOn(p, a) + sessionsOn(p, b)).isZero());
        }
    }

    @Test
    void afterARefusedLoginTheNextUserIsRoutedAfresh() throws Exception {
        EmbeddedFtpServer a = backend("A");
        EmbeddedFtpServer b = backend("B");
        BackendPoolConfig pool = aliceOnABobOnB(a, b);
        try (PortcullisServer p = proxy(pool);
             FtpTestClient c = FtpTestClient.connect(p.boundAddresses().get(0))) {
            assertThat(c.readReply().code()).isEqualTo(220);
            assertThat(c.command("USER alice").code()).isEqualTo(331);
            assertThat(c.command("PASS wrong").code()).isEqualTo(530);
            assertThat(sessionsOn(p, a)).as("A let go after the refused login").isZero();
            assertThat(c.command("PASV").code()).as("logged out again").isEqualTo(530);
            assertThat(c.command("USER bob").code()).isEqualTo(331);
            assertThat(c.command("PASS builder").code()).isEqualTo(230);
            assertThat(sessionsOn(p, b)).isEqualTo(1);
            c.command("TYPE I");
            assertThat(new String(dev.portcullis.testing.DataMode.EPSV.download(c, "RETR who.txt"),
                    java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("B");
            assertThat(c.command("QUIT").code()).isEqualTo(221);
        }
    }

    @Test
    void loginProbeTakesOutABackendThatRefusesTheProbeAccount() throws Exception {
        EmbeddedFtpServer a = backend("A");
        EmbeddedFtpServer b = backend("B");
        HealthCheckConfig probe = new HealthCheckConfig(true, Duration.ofMillis(100), Duration.ofSeconds(1), 1, 1, false,
                Optional.of("bob"), Optional.of("builder"));
        try (PortcullisServer p = proxy(new BackendPoolConfig(List.of(at(a), at(b)), Balance.ROUND_ROBIN, List.of(), probe))) {
            ProxyHarness.awaitTrue(Duration.ofSeconds(3), () -> member(p, a).lastResult().contains("login 230"));
            assertThat(member(p, a).up()).isTrue();
            assertThat(member(p, a).lastResult()).contains("220").contains("login 230").doesNotContain("builder");
        }
        HealthCheckConfig wrong = new HealthCheckConfig(true, Duration.ofMillis(100), Duration.ofSeconds(1), 1, 1, false,
                Optional.of("bob"), Optional.of("not-his"));
        try (PortcullisServer p = proxy(new BackendPoolConfig(List.of(at(a)), Balance.ROUND_ROBIN, List.of(), wrong))) {
            ProxyHarness.awaitTrue(Duration.ofSeconds(3), () -> !member(p, a).up());
            assertThat(member(p, a).lastResult()).contains("530").doesNotContain("not-his");
            try (FtpTestClient c = FtpTestClient.connect(p.boundAddresses().get(0))) {
                assertThat(c.readReply().code()).isEqualTo(421);
            }
        }
    }
}
