package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.PortcullisServer;
import dev.portcullis.config.ProxyProtocolConfig;
import dev.portcullis.config.ProxyProtocolConfig.DataPeerCheck;
import dev.portcullis.config.ProxyProtocolConfig.SendVersion;
import dev.portcullis.testing.DataMode;
import dev.portcullis.testing.FakeFtpBackend;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.FtpTestClient.Reply;
import dev.portcullis.testing.ProxyHarness;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Behind an L4 balancer: the PROXY header's source is the client for limits, guards and logs. */
class ProxyProtocolIT {

    @TempDir
    Path root;

    private static byte[] v2Header(String src, int srcPort, String dst, int dstPort) {
        EmbeddedChannel ch = new EmbeddedChannel(HAProxyMessageEncoder.INSTANCE);
        ch.writeOutbound(new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.PROXY, HAProxyProxiedProtocol.TCP4,
                src, dst, srcPort, dstPort));
        ByteBuf b = ch.readOutbound();
        byte[] bytes = new byte[b.readableBytes()];
        b.readBytes(bytes);
        b.release();
        ch.finishAndReleaseAll();
        return bytes;
    }

    /** The proxy closed the connection without sending a byte (a FIN or a reset, either is a refusal). */
    private static void assertClosedUnread(java.net.Socket s) throws java.io.IOException {
        int got;
        try {
            got = s.getInputStream().read();
        } catch (java.net.SocketException reset) {
            got = -1;
        }
        assertThat(got).isEqualTo(-1);
    }

    @Test
    void realAddressDrivesTheGuardsAndDataPeerCheck() throws Exception {
        try (ProxyHarness h = ProxyHarness.start(root, c -> c.withProxyProtocol(
                new ProxyProtocolConfig(true, DataPeerCheck.ADDRESS, SendVersion.OFF)))) {
            h.write("f.txt", "through the balancer".getBytes(StandardCharsets.US_ASCII));
            // v1 header, then FTP pipelined in the same packet.
            try (FtpTestClient c = FtpTestClient.connect(h.proxyAddress())) {
                c.sendRaw(("PROXY TCP4 198.51.100.77 127.0.0.1 40000 21\r\nUSER " + ProxyHarness.USER + "\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                assertThat(c.readReply().code()).isEqualTo(220);
                assertThat(c.readReply().code()).isEqualTo(331);
                assertThat(c.command("PASS " + ProxyHarness.PASSWORD).code()).isEqualTo(230);
                assertThat(h.proxy().sessions().fromAddress(InetAddress.getByName("198.51.100.77"))).isEqualTo(1);
                // The bounce guard compares with the real client, not the balancer (127.0.0.1).
                Reply port = c.command("PORT 127,0,0,1,200,1");
                assertThat(port.code()).isEqualTo(500);
                assertThat(port.last()).contains("not your own");
                // A passive connection from the balancer's address is not the client: closed unread.
                java.net.InetSocketAddress data = c.epsv();
                try (java.net.Socket s = new java.net.Socket()) {
                    s.connect(data, 5000);
                    s.setSoTimeout(5000);
                    assertClosedUnread(s);
                }
                assertThat(h.proxy().metrics().count("portcullis.blocked", "reason", "theft")).isEqualTo(1);
            }
            // v2 header; without one the connection is closed with nothing written.
            try (FtpTestClient c = FtpTestClient.connect(h.proxyAddress())) {
                c.sendRaw(v2Header("203.0.113.50", 41000, "127.0.0.1", 21));
                assertThat(c.readReply().code()).isEqualTo(220);
                assertThat(h.proxy().sessions().fromAddress(InetAddress.getByName("203.0.113.50"))).isEqualTo(1);
            }
            try (FtpTestClient c = FtpTestClient.connect(h.proxyAddress())) {
                c.sendRaw("USER nobody-sent-a-header\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(c.readLine()).isNull();
            }
            h.assertQuiescent();
        }
    }

    @Test
    void dataPeerCheckOffAdmitsTheBalancersDataConnections() throws Exception {
        try (ProxyHarness h = ProxyHarness.start(root, c -> c.withProxyProtocol(
                new ProxyProtocolConfig(true, DataPeerCheck.OFF, SendVersion.OFF)))) {
            h.write("f.txt", "data via the balancer".getBytes(StandardCharsets.US_ASCII));
            try (FtpTestClient c = loginBehindBalancer(h)) {
                assertThat(new String(DataMode.EPSV.download(c, "RETR f.txt"), StandardCharsets.US_ASCII)).isEqualTo("data via the balancer");
            }
            h.assertQuiescent();
        }
    }

    @Test
    void dataPeerCheckProxyHeaderUsesTheRealAddressOfEachDataConnection() throws Exception {
        try (ProxyHarness h = ProxyHarness.start(root, c -> c.withProxyProtocol(
                new ProxyProtocolConfig(true, DataPeerCheck.PROXY_HEADER, SendVersion.OFF)))) {
            byte[] content = dev.portcullis.testing.Digests.randomBytes(300_000, 11);
            h.write("f.bin", content);
            try (FtpTestClient c = loginBehindBalancer(h)) {

                // A data connection whose header names another client: closed unread, the expectation stays.
                java.net.InetSocketAddress data = c.epsv();
                try (java.net.Socket thief = new java.net.Socket()) {
                    thief.connect(data, 5000);
                    thief.setSoTimeout(5000);
                    thief.getOutputStream().write(v2Header("203.0.113.66", 5000, "127.0.0.1", data.getPort()));
                    assertClosedUnread(thief);
                }
                // The real client's header (v1), through the same port: RETR byte-exact.
                try (java.net.Socket d = new java.net.Socket()) {
                    d.connect(data, 5000);
                    d.getOutputStream().write(("PROXY TCP4 198.51.100.77 127.0.0.1 40001 " + data.getPort() + "\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    c.send("RETR f.bin");
                    assertThat(c.readReply().code()).isEqualTo(150);
                    assertThat(d.getInputStream().readAllBytes()).isEqualTo(content);
                    assertThat(c.readReply().code()).isEqualTo(226);
                }
                // STOR with the header and the data in one write, then close: nothing behind the header is lost.
                java.net.InetSocketAddress up = c.epsv();
                try (java.net.Socket d = new java.net.Socket()) {
                    d.connect(up, 5000);
                    c.send("STOR up.bin");
                    byte[] header = v2Header("198.51.100.77", 40002, "127.0.0.1", up.getPort());
                    byte[] both = new byte[header.length + content.length];
                    System.arraycopy(header, 0, both, 0, header.length);
                    System.arraycopy(content, 0, both, header.length, content.length);
                    d.getOutputStream().write(both);
                    d.shutdownOutput();
                    assertThat(c.readReply().code()).isEqualTo(150);
                    assertThat(c.readReply().code()).isEqualTo(226);
                }
                assertThat(java.nio.file.Files.readAllBytes(root.resolve("up.bin"))).isEqualTo(content);
                // No header at all: refused like a thief (after the data-connect timeout at the latest).
                java.net.InetSocketAddress third = c.epsv();
                try (java.net.Socket bare = new java.net.Socket()) {
                    bare.connect(third, 5000);
                    bare.getOutputStream().write("not a header at all, just bytes\r\n".getBytes(StandardCharsets.US_ASCII));
                    bare.setSoTimeout(10000);
                    assertClosedUnread(bare);
                }
                // The HAProxy decoder closes a non-header at once; the count follows a moment later.
                ProxyHarness.awaitTrue(Duration.ofSeconds(5), () -> h.proxy().metrics().count("portcullis.blocked", "reason", "theft") == 2);
                assertThat(h.proxy().metrics().count("portcullis.blocked", "reason", "theft")).isEqualTo(2);
            }
            h.assertQuiescent();
        }
    }

    @Test
    void sendsTheRealClientToTheBackend() throws Exception {
        try (FakeFtpBackend fake = new FakeFtpBackend();
             PortcullisServer p = new PortcullisServer(ProxyHarness.baseConfig(fake.port()).withProxyProtocol(
                     new ProxyProtocolConfig(true, DataPeerCheck.ADDRESS, SendVersion.V1))).start();
             FtpTestClient c = FtpTestClient.connect(p.boundAddresses().get(0))) {
            c.sendRaw("PROXY TCP4 198.51.100.77 127.0.0.1 40000 21\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(c.readReply().code()).isEqualTo(220);
            assertThat(c.command("NOOP").code()).isEqualTo(200);
            String expected = "PROXY TCP4 198.51.100.77 127.0.0.1 40000 " + p.boundAddresses().get(0).getPort();
            ProxyHarness.awaitTrue(Duration.ofSeconds(5), () -> fake.received().contains(expected));
            assertThat(fake.received()).contains(expected).contains("PROXY UNKNOWN"); // the session's, and the readiness check's
            assertThat(fake.received().indexOf(expected)).isLessThan(fake.received().indexOf("NOOP"));
        }
    }

    /** A binary session whose control connection came through a balancer for client 198.51.100.77. */
    private static FtpTestClient loginBehindBalancer(ProxyHarness h) throws Exception {
        FtpTestClient c = FtpTestClient.connect(h.proxyAddress());
        c.sendRaw("PROXY TCP4 198.51.100.77 127.0.0.1 40000 21\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(c.readReply().code()).isEqualTo(220);
        c.command("USER " + ProxyHarness.USER);
        c.command("PASS " + ProxyHarness.PASSWORD);
        c.command("TYPE I");
        return c;
    }

    /**
     * A PROXY header is believed only from a configured balancer: a client that reaches the
     * listener directly cannot claim another address (to escape bans and limits, or to pass PORT
     * checks for an address of the proxy's own host).
     */
    @Test
    void headersFromPeersThatAreNotTrustedBalancersAreRefused() throws Exception {
        try (ProxyHarness h = ProxyHarness.start(root, c -> c.withProxyProtocol(new ProxyProtocolConfig(true, DataPeerCheck.ADDRESS,
                SendVersion.OFF, java.util.List.of(dev.portcullis.net.Cidr.parse("192.0.2.0/24")))))) {
            try (FtpTestClient c = FtpTestClient.connect(h.proxyAddress())) {
                c.socket().setSoTimeout(5000);
                c.sendRaw("PROXY TCP4 127.0.0.1 127.0.0.1 40000 21\r\nUSER anonymous\r\n".getBytes(StandardCharsets.US_ASCII));
                assertClosedUnread(c.socket());
            }
            assertThat(h.proxy().metrics().count("portcullis.blocked", "reason", "untrusted_proxy_header")).isEqualTo(1);
            h.assertQuiescent();
        }
    }

    /** PORT and EPRT never aim a data connection at one of the proxy's own listening ports, whatever the address. */
    @Test
    void activeDataConnectionsNeverTargetTheProxysOwnPorts() throws Exception {
        try (ProxyHarness h = ProxyHarness.start(root, c -> c.withAdmin(new dev.portcullis.config.AdminConfig(
                java.util.Optional.of(new java.net.InetSocketAddress("127.0.0.1", 0)), java.time.Duration.ofSeconds(30))))) {
            int control = h.proxyAddress().getPort();
            int admin = h.proxy().adminAddress().getPort();
            try (FtpTestClient c = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD)) {
                Reply port = c.command("PORT 127,0,0,1," + (control >> 8) + "," + (control & 0xff));
                assertThat(port.code()).as(port.all()).isEqualTo(500);
                assertThat(port.last()).contains("proxy's own");
                Reply eprt = c.command("EPRT |1|127.0.0.2|" + admin + "|");
                assertThat(eprt.code()).as(eprt.all()).isEqualTo(500);
                Reply passive = c.command("EPRT |1|127.0.0.1|30005|");
                assertThat(passive.code()).as("the passive range: %s", passive.all()).isEqualTo(500);
                assertThat(c.command("NOOP").code()).isEqualTo(200);
            }
            h.assertQuiescent();
        }
    }

    /** IPv6 clients count per /64 (limits.ipv6-prefix): one host's many addresses share one allowance. */
    @Test
    void ipv6ClientsAreCountedPerNetwork() throws Exception {
        try (ProxyHarness h = ProxyHarness.start(root, c -> c.withLimits(new dev.portcullis.config.Limits(4094, 3, 1000, 100, 3))
                .withProxyProtocol(new ProxyProtocolConfig(true, DataPeerCheck.ADDRESS, SendVersion.OFF)))) {
            java.util.List<FtpTestClient> open = new java.util.ArrayList<>();
            try {
                for (int i = 1; i <= 3; i++) {
                    FtpTestClient c = FtpTestClient.connect(h.proxyAddress());
                    open.add(c);
                    c.sendRaw(("PROXY TCP6 2001:db8:1:2::" + i + " ::1 40000 21\r\n").getBytes(StandardCharsets.US_ASCII));
                    assertThat(c.readReply().code()).isEqualTo(220);
                }
                try (FtpTestClient fourth = FtpTestClient.connect(h.proxyAddress())) {
                    fourth.sendRaw("PROXY TCP6 2001:db8:1:2:aaaa:bbbb:cccc:dddd ::1 40000 21\r\n".getBytes(StandardCharsets.US_ASCII));
                    Reply r = fourth.readReply();
                    assertThat(r.code()).as("a fourth address of the same /64: %s", r.all()).isEqualTo(421);
                }
                try (FtpTestClient other = FtpTestClient.connect(h.proxyAddress())) {
                    other.sendRaw("PROXY TCP6 2001:db8:1:3::1 ::1 40000 21\r\n".getBytes(StandardCharsets.US_ASCII));
                    assertThat(other.readReply().code()).as("another /64").isEqualTo(220);
                }
            } finally {
                for (FtpTestClient c : open) {
                    c.close();
                }
            }
        }
    }
}
