package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.config.DataPolicy;
import dev.portcullis.ftp.HostPort;
import dev.portcullis.testing.DataMode;
import dev.portcullis.testing.Digests;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.FtpTestClient.Reply;
import dev.portcullis.testing.ProxyHarness;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Backend-side active mode (PORT/EPRT to the backend) and the announced public address. */
class DataModesIT {

    @TempDir
    Path root;

    @ParameterizedTest
    @EnumSource(DataMode.class)
    void backendActiveModeWorksWithEveryClientMode(DataMode mode) throws Exception {
        byte[] file = Digests.randomBytes(2 * 1024 * 1024 + 5, 11);
        InetAddress source = InetAddress.getByName("127.0.0.1");
        try (ProxyHarness h = ProxyHarness.start(root, c -> c.withData(new DataPolicy(false, false, 0,
                DataPolicy.BackendDataMode.ACTIVE, Optional.of(source), DataPolicy.BackendPasvAddress.CONTROL)))) {
            h.write("f.bin", file);
            try (FtpTestClient c = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD)) {
                c.command("TYPE I");
                assertThat(Digests.sha256(mode.download(c, "RETR f.bin"))).isEqualTo(Digests.sha256(file));
                Reply up = mode.upload(c, "STOR g.bin", file);
                assertThat(up.code()).isEqualTo(226);
                assertThat(Digests.sha256(root.resolve("g.bin"))).isEqualTo(Digests.sha256(file));
            }
            h.assertQuiescent();
        }
    }

    @Test
    void publicAddressIsAnnouncedIn227() throws Exception {
        try (ProxyHarness h = ProxyHarness.start(root, c -> ProxyHarness.withPublicAddress(c, "203.0.113.7"))) {
            h.write("f.txt", "x".getBytes());
            try (FtpTestClient c = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD)) {
                Reply r = c.command("PASV");
                assertThat(r.code()).isEqualTo(227);
                InetSocketAddress announced = HostPort.parsePassiveReply(r.last()).orElseThrow();
                assertThat(announced.getAddress().getHostAddress()).isEqualTo("203.0.113.7");
                assertThat(announced.getPort()).isBetween(30000, 30299);
                // The listener itself is on the address the client reached (NAT maps the public one to it).
                try (Socket s = new Socket("127.0.0.1", announced.getPort())) {
                    c.send("RETR f.txt");
                    assertThat(c.readReply().code()).isEqualTo(150);
                    assertThat(s.getInputStream().readAllBytes()).isEqualTo("x".getBytes());
                    assertThat(c.readReply().code()).isEqualTo(226);
                }
            }
            h.assertQuiescent();
        }
    }
}
