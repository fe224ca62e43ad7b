package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.testing.DataMode;
import dev.portcullis.testing.Digests;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.FtpTestClient.Reply;
import dev.portcullis.testing.ProxyHarness;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** FTP bounce / FXP and passive-port theft, attempted for real over loopback addresses. */
class SecurityIT {

    @TempDir
    static Path root;
    static ProxyHarness h;
    static byte[] file;

    @BeforeAll
    static void start() throws Exception {
        h = ProxyHarness.start(root, c -> c);
        file = Digests.randomBytes(1024 * 1024, 7);
        h.write("secret.bin", file);
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    @AfterEach
    void nothingLeaks() throws Exception {
        h.assertQuiescent();
    }

    /** A listener on another loopback address that records every connection attempt. */
    static final class Witness implements AutoCloseable {
        final ServerSocket ss;
        final AtomicInteger connections = new AtomicInteger();
        final Thread t;

        Witness(String address) throws Exception {
            ss = new ServerSocket(0, 50, InetAddress.getByName(address));
            t = new Thread(() -> {
                while (!ss.isClosed()) {
                    try (Socket s = ss.accept()) {
                        connections.incrementAndGet();
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() throws Exception {
            ss.close();
            t.join(2000);
        }
    }

    @Test
    void portAndEprtToAnotherHostAreRefusedAndNeverConnected() throws Exception {
        try (Witness w = new Witness("127.0.0.2");
             FtpTestClient c = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD)) {
            int p = w.ss.getLocalPort();
            Reply port = c.command("PORT 127,0,0,2," + (p >> 8) + "," + (p & 0xff));
            assertThat(port.code()).isEqualTo(500);
            assertThat(port.last()).contains("127.0.0.2").contains("not your own");
            assertThat(c.command("RETR secret.bin").code()).isEqualTo(425);
            Reply eprt = c.command("EPRT |1|127.0.0.2|" + p + "|");
            assertThat(eprt.code()).isEqualTo(500);
            assertThat(c.command("LIST").code()).isEqualTo(425);
            // Privileged ports on the client's own address (its SMTP, its FTP control port) are refused too.
            assertThat(c.command("PORT 127,0,0,1,0,21").code()).isEqualTo(500);
            assertThat(c.command("EPRT |1|127.0.0.1|25|").last()).contains("below 1024");
            // Nothing may connect to the witness afterwards either (a refused PORT that went out anyway).
            org.awaitility.Awaitility.await().during(java.time.Duration.ofMillis(300)).atMost(java.time.Duration.ofSeconds(1))
                    .untilAsserted(() -> assertThat(w.connections.get()).isZero());
            assertThat(h.proxy().metrics().count(dev.portcullis.metrics.MeterNames.BLOCKED, "reason", "bounce")).isGreaterThanOrEqualTo(4);
            assertThat(c.command("NOOP").code()).isEqualTo(200);
        }
    }

    @Test
    void passivePortThiefGetsNothingAndTheRealTransferSucceeds() throws Exception {
        double before = h.proxy().metrics().count(dev.portcullis.metrics.MeterNames.BLOCKED, "reason", "theft");
        try (FtpTestClient c = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD)) {
            c.command("TYPE I");
            InetSocketAddress announced = c.pasv();
            // The thief connects first, from another address, and tries to read.
            try (Socket thief = new Socket()) {
                thief.bind(new InetSocketAddress("127.0.0.9", 0));
                thief.setSoTimeout(5000);
                thief.connect(announced, 5000);
                InputStream in = thief.getInputStream();
                int got;
                try {
                    got = in.read();
                } catch (SocketException reset) {
                    got = -1;
                }
                assertThat(got).as("thief must read nothing").isEqualTo(-1);
            }
            assertThat(h.proxy().metrics().count(dev.portcullis.metrics.MeterNames.BLOCKED, "reason", "theft")).isGreaterThan(before);

            try (Socket data = new Socket()) {
                data.connect(announced, 5000);
                c.send("RETR secret.bin");
                assertThat(c.readReply().code()).isEqualTo(150);
                byte[] got = data.getInputStream().readAllBytes();
                assertThat(Digests.sha256(got)).isEqualTo(Digests.sha256(file));
            }
            assertThat(c.readReply().code()).isEqualTo(226);

            // Once claimed, the port is no longer listening: a late thief is refused outright.
            try (Socket late = new Socket()) {
                late.bind(new InetSocketAddress("127.0.0.9", 0));
                late.connect(announced, 2000);
                late.setSoTimeout(2000);
                assertThat(late.getInputStream().read()).isEqualTo(-1);
            } catch (SocketTimeoutException | SocketException expected) {
                // refused: as it should be
            }
        }
    }

    @Test
    void thiefDuringATransferGetsNothingEither() throws Exception {
        try (FtpTestClient c = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD)) {
            c.command("TYPE I");
            InetSocketAddress announced = c.epsv();
            c.send("RETR secret.bin");
            assertThat(c.readReply().code()).isEqualTo(150);
            try (Socket thief = new Socket()) {
                thief.bind(new InetSocketAddress("127.0.0.9", 0));
                thief.setSoTimeout(5000);
                thief.connect(announced, 5000);
                int got;
                try {
                    got = thief.getInputStream().read();
                } catch (SocketException reset) {
                    got = -1;
                }
                assertThat(got).isEqualTo(-1);
            }
            try (Socket data = new Socket()) {
                data.connect(announced, 5000);
                assertThat(Digests.sha256(data.getInputStream().readAllBytes())).isEqualTo(Digests.sha256(file));
            }
            assertThat(c.readReply().code()).isEqualTo(226);
        }
    }

    @Test
    void activeModeToTheClientsOwnAddressStillWorks() throws Exception {
        try (FtpTestClient c = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD)) {
            c.command("TYPE I");
            assertThat(Digests.sha256(DataMode.PORT.download(c, "RETR secret.bin"))).isEqualTo(Digests.sha256(file));
        }
    }
}
