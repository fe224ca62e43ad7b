package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.config.Limits;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.FtpTestClient.Reply;
import dev.portcullis.testing.ProxyHarness;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Session limits in total and per client address: 421 with a sentence, before the backend is involved. */
class SessionLimitsIT {

    @TempDir
    Path root;

    private static FtpTestClient from(String localAddress, InetSocketAddress proxy) throws Exception {
        return FtpTestClient.connectFrom(localAddress, proxy);
    }

    @Test
    void perAddressAndTotalLimits() throws Exception {
        try (ProxyHarness h = ProxyHarness.start(root, c -> c.withLimits(new Limits(4096, 3, 1000, 5, 3)))) {
            InetSocketAddress proxy = h.proxyAddress();
            List<FtpTestClient> open = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    FtpTestClient c = from("127.0.0.1", proxy);
                    open.add(c);
                    assertThat(c.readReply().code()).isEqualTo(220);
                }
                try (FtpTestClient fourth = from("127.0.0.1", proxy)) {
                    Reply r = fourth.readReply();
                    assertThat(r.code()).isEqualTo(421);
                    assertThat(r.last()).contains("from your address (3)");
                    assertThat(fourth.isClosedByPeer()).isTrue();
                }
                for (int i = 0; i < 2; i++) {
                    FtpTestClient c = from("127.0.0.2", proxy);
                    open.add(c);
                    assertThat(c.readReply().code()).isEqualTo(220);
                }
                try (FtpTestClient sixth = from("127.0.0.3", proxy)) {
                    Reply r = sixth.readReply();
                    assertThat(r.code()).isEqualTo(421);
                    assertThat(r.last()).contains("Too many connections (5)");
                }
                assertThat(h.proxy().sessions().fromAddress(InetAddress.getByName("127.0.0.1"))).isEqualTo(3);
                open.remove(0).close();
                ProxyHarness.awaitTrue(java.time.Duration.ofSeconds(5),
                        () -> h.proxy().sessions().size() == 4);
                try (FtpTestClient again = from("127.0.0.1", proxy)) {
                    assertThat(again.readReply().code()).isEqualTo(220);
                }
            } finally {
                for (FtpTestClient c : open) {
                    c.close();
                }
            }
            h.assertQuiescent();
            assertThat(h.proxy().sessions().fromAddress(InetAddress.getByName("127.0.0.1"))).isZero();
            assertThat(h.proxy().metrics().count(dev.portcullis.metrics.MeterNames.BLOCKED, "reason", "limit")).isEqualTo(2);
        }
    }
}
