package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.testing.Digests;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.ProxyHarness;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every transfer that started ends in exactly one record, also when the session ends under it. */
class TransferRecordIT {

    @TempDir
    Path root;

    @Test
    void aTransferCutShortByTheEndOfTheSessionIsRecordedAsFailed() throws Exception {
        try (ProxyHarness h = ProxyHarness.start(root, c -> c)) {
            h.write("big.bin", Digests.randomBytes(32 * 1024 * 1024, 5));
            FtpTestClient c = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD);
            c.command("TYPE I");
            InetSocketAddress port = c.epsv();
            try (Socket data = new Socket()) {
                data.setReceiveBufferSize(4096);
                data.connect(port, 5000);
                c.send("RETR big.bin");
                assertThat(c.readReply().code()).isEqualTo(150);
                data.getInputStream().readNBytes(1000); // then stop reading: the transfer cannot finish
                c.socket().setSoLinger(true, 0);
                c.close();
                ProxyHarness.awaitTrue(Duration.ofSeconds(10), () ->
                        h.proxy().metrics().count("portcullis.transfers", "direction", "download", "outcome", "failed") == 1);
            }
            assertThat(h.proxy().metrics().count("portcullis.transfers", "direction", "download", "outcome", "ok")).isZero();
            h.assertQuiescent();
        }
    }
}
