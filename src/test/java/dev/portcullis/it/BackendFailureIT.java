package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.PortcullisServer;
import dev.portcullis.net.HostAndPort;
import dev.portcullis.config.PortRange;
import dev.portcullis.config.ProxyConfig;
import dev.portcullis.config.Timeouts;
import dev.portcullis.testing.DataMode;
import dev.portcullis.testing.FakeFtpBackend;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.FtpTestClient.Reply;
import dev.portcullis.testing.ProxyHarness;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Backends that are down, die, stall or misbehave; timeouts and an exhausted passive pool. */
class BackendFailureIT {

    @TempDir
    Path root;

    private static PortcullisServer proxyTo(int backendPort, UnaryOperator<ProxyConfig> customize) throws Exception {
        return new PortcullisServer(customize.apply(ProxyHarness.baseConfig(backendPort))).start();
    }

    private static void assertQuiescent(PortcullisServer p) {
        ProxyHarness.eventually(Duration.ofSeconds(10), () -> {
            assertThat(p.sessions().size()).isZero();
            assertThat(p.passivePortPool().available()).isEqualTo(p.passivePortPool().capacity());
            assertThat(p.expectations().size()).isZero();
        });
    }

    @Test
    void unreachableBackendGets421AndACleanClose() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        try (PortcullisServer p = proxyTo(closedPort, c -> c)) {
            long start = System.nanoTime();
            try (FtpTestClient c = FtpTestClient.connect(p.boundAddresses().get(0))) {
                Reply r = c.readReply();
                assertThat(r.code()).isEqualTo(421);
                assertThat(r.last()).contains("cannot be reached");
                assertThat(c.isClosedByPeer()).isTrue();
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            assertQuiescent(p);
        }
    }

    @Test
    void unresolvableBackendNameGets421() throws Exception {
        try (PortcullisServer p = new PortcullisServer(ProxyHarness.baseConfig(21)
                .withBackend(new HostAndPort("no-such-host.invalid", 21))).start();
             FtpTestClient c = FtpTestClient.connect(p.boundAddresses().get(0))) {
            assertThat(c.readReply().code()).isEqualTo(421);
            assertThat(c.isClosedByPeer()).isTrue();
        }
    }

    @Test
    void backendThatClosesMidSessionGives421AndReleasesEverything() throws Exception {
        try (FakeFtpBackend fake = new FakeFtpBackend().reply("SYST", "CLOSE");
             PortcullisServer p = proxyTo(fake.port(), c -> c)) {
            try (FtpTestClient c = FtpTestClient.login(p.boundAddresses().get(0), "u", "p")) {
                c.pasv(); // a data setup is held when the backend goes away
                Reply r = c.command("SYST");
                assertThat(r.code()).isEqualTo(421);
                assertThat(c.isClosedByPeer()).isTrue();
            }
            assertQuiescent(p);
        }
    }

    @Test
    void idleControlConnectionIsClosedWith421() throws Exception {
        try (FakeFtpBackend fake = new FakeFtpBackend();
             PortcullisServer p = proxyTo(fake.port(), c -> c.withTimeouts(
                     new Timeouts(Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(30))))) {
            try (FtpTestClient c = FtpTestClient.login(p.boundAddresses().get(0), "u", "p")) {
                long start = System.nanoTime();
                Reply r = c.readReply();
                assertThat(r.code()).isEqualTo(421);
                assertThat(r.last()).contains("Idle timeout");
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(500), Duration.ofSeconds(5));
                assertThat(c.isClosedByPeer()).isTrue();
            }
            assertQuiescent(p);
        }
    }

    @Test
    void unusedPassiveExpectationExpires() throws Exception {
        try (FakeFtpBackend fake = new FakeFtpBackend();
             PortcullisServer p = proxyTo(fake.port(), c -> c.withTimeouts(
                     new Timeouts(Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofMillis(300))))) {
            try (FtpTestClient c = FtpTestClient.login(p.boundAddresses().get(0), "u", "p")) {
                c.pasv();
                assertThat(p.expectations().size()).isEqualTo(1);
                ProxyHarness.awaitTrue(Duration.ofSeconds(5), () -> p.expectations().size() == 0);
                assertThat(p.expectations().size()).isZero();
                assertThat(p.passivePortPool().available()).isEqualTo(p.passivePortPool().capacity());
                assertThat(c.command("RETR x").code()).isEqualTo(425); // the setup is gone with it
                assertThat(c.command("NOOP").code()).isEqualTo(200);
            }
            assertQuiescent(p);
        }
    }

    @Test
    void exhaustedPassivePoolAnswers425Promptly() throws Exception {
        try (FakeFtpBackend fake = new FakeFtpBackend();
             PortcullisServer p = proxyTo(fake.port(), c -> c.withPassivePorts(new PortRange(30400, 30401)))) {
            InetSocketAddress proxy = p.boundAddresses().get(0);
            try (FtpTestClient a = FtpTestClient.login(proxy, "u", "p");
                 FtpTestClient b = FtpTestClient.login(proxy, "u", "p")) {
                a.pasv();
                b.epsv();
                try (FtpTestClient c = FtpTestClient.login(proxy, "u", "p")) {
                    long start = System.nanoTime();
                    Reply r = c.command("PASV");
                    assertThat(r.code()).isEqualTo(425);
                    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
                    assertThat(c.command("NOOP").code()).isEqualTo(200);
                    a.command("QUIT");
                    ProxyHarness.awaitTrue(Duration.ofSeconds(5), () -> p.passivePortPool().available() == 1);
                    assertThat(c.command("EPSV").code()).isEqualTo(229);
                }
            }
            assertQuiescent(p);
        }
    }

    @Test
    void backendRefusingEpsvGetsPasvAndItsPrivateAddressIsIgnored() throws Exception {
        byte[] content = "through PASV fallback\n".getBytes(StandardCharsets.US_ASCII);
        // The backend refuses EPSV and announces 10.9.8.7 (behind its own NAT): the proxy must fall
        // back to PASV and connect to the backend's control address with the announced port.
        try (FakeFtpBackend fake = new FakeFtpBackend().file(content).announcePassiveHost("10,9,8,7");
             PortcullisServer p = proxyTo(fake.port(), c -> c)) {
            for (DataMode mode : DataMode.values()) {
                try (FtpTestClient c = FtpTestClient.login(p.boundAddresses().get(0), "u", "p")) {
                    assertThat(mode.download(c, "RETR f")).isEqualTo(content);
                }
            }
            assertThat(fake.received()).filteredOn("EPSV"::equals).hasSize(1); // remembered per backend
            assertQuiescent(p);
        }
    }

    @Test
    void statAnsweredDuringTheTransferReachesTheClientBeforeThe226() throws Exception {
        byte[] content = dev.portcullis.testing.Digests.randomBytes(200_000, 5);
        try (FakeFtpBackend fake = new FakeFtpBackend().file(content).answerDuringTransfer();
             PortcullisServer p = proxyTo(fake.port(), c -> c)) {
            try (FtpTestClient c = FtpTestClient.login(p.boundAddresses().get(0), "u", "p");
                 DataMode.Prepared data = DataMode.PASV.prepare(c)) {
                c.send("RETR f");
                assertThat(c.readReply().code()).isEqualTo(150);
                java.net.Socket s = data.open();
                byte[] first = s.getInputStream().readNBytes(content.length / 2);
                c.send("STAT");
                Reply stat = c.readReply();
                assertThat(stat.code()).isEqualTo(213);
                assertThat(stat.last()).contains("in progress");
                byte[] rest = s.getInputStream().readAllBytes();
                assertThat(c.readReply().code()).isEqualTo(226);
                byte[] all = new byte[first.length + rest.length];
                System.arraycopy(first, 0, all, 0, first.length);
                System.arraycopy(rest, 0, all, first.length, rest.length);
                assertThat(all).isEqualTo(content);
                assertThat(c.command("NOOP").code()).isEqualTo(200);
            }
            assertQuiescent(p);
        }
    }

    @Test
    void garbage227FromBackendGives425() throws Exception {
        try (FakeFtpBackend fake = new FakeFtpBackend().garbagePassiveReply();
             PortcullisServer p = proxyTo(fake.port(), c -> c)) {
            try (FtpTestClient c = FtpTestClient.login(p.boundAddresses().get(0), "u", "p")) {
                assertThat(c.command("PASV").code()).isEqualTo(425);
                assertThat(c.command("NOOP").code()).isEqualTo(200);
            }
            assertQuiescent(p);
        }
    }

    @Test
    void passiveReplyOutOfTurnIsNeverRelayed() throws Exception {
        try (FakeFtpBackend fake = new FakeFtpBackend().reply("NOOP", "227 Entering Passive Mode (203,0,113,5,4,1)");
             PortcullisServer p = proxyTo(fake.port(), c -> c)) {
            try (FtpTestClient c = FtpTestClient.login(p.boundAddresses().get(0), "u", "p")) {
                Reply r = c.command("NOOP");
                assertThat(r.code()).isEqualTo(451);
                assertThat(r.all()).doesNotContain("203,0,113,5");
                assertThat(c.command("SYST").code()).isEqualTo(200); // still one reply per command
            }
            assertThat(p.metrics().count(dev.portcullis.metrics.MeterNames.PROTOCOL_VIOLATIONS)).isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void backendReplyWithoutCodeCloses421() throws Exception {
        try (FakeFtpBackend fake = new FakeFtpBackend().reply("SYST", "this is not an FTP reply");
             PortcullisServer p = proxyTo(fake.port(), c -> c)) {
            try (FtpTestClient c = FtpTestClient.login(p.boundAddresses().get(0), "u", "p")) {
                assertThat(c.command("SYST").code()).isEqualTo(421);
                assertThat(c.isClosedByPeer()).isTrue();
            }
            assertQuiescent(p);
        }
    }
}
