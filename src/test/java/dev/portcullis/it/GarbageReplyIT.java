package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.PortcullisServer;
import dev.portcullis.testing.FakeFtpBackend;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.ProxyHarness;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Replies the proxy cannot frame (curl's tests 1003, 1282, 2045): the client gets 421 and a close
 * at once, never a session that waits for its own timeout.
 */
class GarbageReplyIT {

    @ParameterizedTest
    @ValueSource(strings = {"huge", "nul", "code-6xx"})
    void anUnframeableReplyIsA421AtOnce(String kind) throws Exception {
        String reply = switch (kind) {
            case "huge" -> "250 " + "x".repeat(17_000);
            case "nul" -> "250 a\u0000b";
            default -> "633 not a reply code";
        };
        try (FakeFtpBackend backend = new FakeFtpBackend().reply("CWD", reply)) {
            PortcullisServer proxy = new PortcullisServer(ProxyHarness.baseConfig(backend.port())).start();
            try (FtpTestClient c = FtpTestClient.login(proxy.boundAddresses().get(0), ProxyHarness.USER, ProxyHarness.PASSWORD)) {
                c.socket().setSoTimeout(10_000);
                FtpTestClient.Reply r = c.command("CWD somewhere");
                assertThat(r.code()).as(r.all()).isIn(421, 250);
                if (r.code() == 421) {
                    assertThat(c.isClosedByPeer()).isTrue();
                } else {
                    assertThat(c.command("NOOP").code()).isEqualTo(200);
                }
            } finally {
                proxy.stop();
            }
        }
    }

    @org.junit.jupiter.api.Test
    void anHttpResponseAsTheGreetingIsA421AtOnce() throws Exception {
        try (FakeFtpBackend backend = new FakeFtpBackend().greeting("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n")) {
            PortcullisServer proxy = new PortcullisServer(ProxyHarness.baseConfig(backend.port())).start();
            try (FtpTestClient c = FtpTestClient.connect(proxy.boundAddresses().get(0))) {
                c.socket().setSoTimeout(10_000);
                FtpTestClient.Reply r = c.readReply();
                assertThat(r.code()).as(r.all()).isEqualTo(421);
                assertThat(c.isClosedByPeer()).isTrue();
            } finally {
                proxy.stop();
            }
        }
    }
}
