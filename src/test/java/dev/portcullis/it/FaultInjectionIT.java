package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.PortcullisServer;
import dev.portcullis.config.BackendTlsConfig;
import dev.portcullis.net.HostAndPort;
import dev.portcullis.config.PortRange;
import dev.portcullis.config.Timeouts;
import dev.portcullis.testing.DataMode;
import dev.portcullis.testing.Digests;
import dev.portcullis.testing.FakeFtpBackend;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.FtpTestClient.Reply;
import dev.portcullis.testing.Processes;
import dev.portcullis.testing.ProxyHarness;
import dev.portcullis.testing.TestCertificates;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults injected through real sockets. After each: the right reply reached the client, no
 * session, passive port, expectation or file descriptor is left behind, and a new session works.
 */
class FaultInjectionIT {

    @TempDir
    Path root;


    /** The proxy is back where it started, and serves a new session. */
    private static void assertRecovered(PortcullisServer p, long fdsBefore, FakeFtpBackend fake) throws Exception {
        ProxyHarness.eventually(Duration.ofSeconds(10), () -> {
            assertThat(p.sessions().size()).as("sessions").isZero();
            assertThat(p.passivePortPool().available()).as("free passive ports").isEqualTo(p.passivePortPool().capacity());
            assertThat(p.expectations().size()).as("expectations").isZero();
            assertThat(ProxyHarness.openFileDescriptors()).as("file descriptors").isLessThanOrEqualTo(fdsBefore + 6);
        });
        if (fake != null) {
            try (FtpTestClient c = FtpTestClient.login(p.boundAddresses().get(0), "u", "p")) {
                assertThat(c.command("NOOP").code()).isIn(200, 227, 451);
            }
        }
    }

    /** Sends STOR, opens the prepared data connection and waits for the 150. */
    private static Socket startUpload(FtpTestClient c, DataMode.Prepared data) throws IOException {
        c.send("STOR big");
        Socket d = data.open();
        assertThat(c.readReply().code()).isEqualTo(150);
        return d;
    }

        private static PortcullisServer proxyTo(int port, UnaryOperator<dev.portcullis.config.ProxyConfig> customize) throws Exception {
        return new PortcullisServer(customize.apply(ProxyHarness.baseConfig(port))).start();
    }

    @Test
    void backendDiesMidTransfer() throws Exception {
        byte[] file = Digests.randomBytes(4 * 1024 * 1024, 1);
        try (FakeFtpBackend fake = new FakeFtpBackend().file(file).dieMidTransfer();
             PortcullisServer p = proxyTo(fake.port(), c -> c)) {
            long fds = ProxyHarness.openFileDescriptors();
            try (FtpTestClient c = FtpTestClient.login(p.boundAddresses().get(0), "u", "p");
                 DataMode.Prepared data = DataMode.PASV.prepare(c)) {
                c.send("RETR f");
                byte[] got;
                // The crash can reach the proxy, and the proxy reset the client's data connection,
                // before this thread's connect returns: a reset there is the same outcome as one on read.
                try (Socket d = data.open()) {
                    got = d.getInputStream().readAllBytes();
                } catch (IOException reset) {
                    got = new byte[0];
                }
                assertThat(c.readReply().code()).isEqualTo(150);
                assertThat(got.length).isLessThan(file.length);
                Reply r = c.readReply();
                assertThat(r.code()).as("never a 226 for half a file").isEqualTo(421);
                assertThat(c.isClosedByPeer()).isTrue();
            }
            fake.dieMidTransferOff();
            assertRecovered(p, fds, fake);
        }
    }

    @Test
    void backendStallsWithoutAReply() throws Exception {
        try (FakeFtpBackend fake = new FakeFtpBackend().reply("SYST", "STALL");
             PortcullisServer p = proxyTo(fake.port(), c -> c.withTimeouts(new Timeouts(Duration.ofSeconds(60),
                     Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(1))))) {
            long fds = ProxyHarness.openFileDescriptors();
            try (FtpTestClient c = FtpTestClient.login(p.boundAddresses().get(0), "u", "p")) {
                long start = System.nanoTime();
                Reply r = c.command("SYST");
                assertThat(r.code()).isEqualTo(421);
                assertThat(r.last()).contains("did not answer");
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(800), Duration.ofSeconds(5));
            }
            ProxyHarness.awaitTrue(Duration.ofSeconds(5), () -> p.metrics().count("portcullis.sessions", "outcome", "backend_timeout") == 1);
            assertThat(p.metrics().count("portcullis.sessions", "outcome", "backend_timeout")).isEqualTo(1);
            fake.reply("SYST", "215 UNIX Type: L8");
            assertRecovered(p, fds, fake);
        }
    }

    @Test
    void backendAnnouncesAnotherHostIn227() throws Exception {
        byte[] file = "data from the real backend".getBytes();
        try (FakeFtpBackend fake = new FakeFtpBackend().file(file).announcePassiveHost("203,0,113,5");
             PortcullisServer p = proxyTo(fake.port(), c -> c)) {
            long fds = ProxyHarness.openFileDescriptors();
            try (FtpTestClient c = FtpTestClient.login(p.boundAddresses().get(0), "u", "p")) {
                // The announced host is ignored: the proxy never connects to 203.0.113.5.
                assertThat(DataMode.EPSV.download(c, "RETR f")).isEqualTo(file);
            }
            assertRecovered(p, fds, fake);
        }
    }

    @Test
    void backendGarbage227() throws Exception {
        try (FakeFtpBackend fake = new FakeFtpBackend().garbagePassiveReply();
             PortcullisServer p = proxyTo(fake.port(), c -> c)) {
            long fds = ProxyHarness.openFileDescriptors();
            try (FtpTestClient c = FtpTestClient.login(p.boundAddresses().get(0), "u", "p")) {
                assertThat(c.command("PASV").code()).isEqualTo(425);
            }
            assertRecovered(p, fds, fake);
        }
    }

    @Test
    void backendRefusesAnUploadHalfWayWith552() throws Exception {
        byte[] upload = Digests.randomBytes(8 * 1024 * 1024, 2);
        try (FakeFtpBackend fake = new FakeFtpBackend().storFailsAfter(1024 * 1024);
             PortcullisServer p = proxyTo(fake.port(), c -> c)) {
            long fds = ProxyHarness.openFileDescriptors();
            try (FtpTestClient c = FtpTestClient.login(p.boundAddresses().get(0), "u", "p");
                 DataMode.Prepared data = DataMode.PASV.prepare(c)) {
                Socket d = startUpload(c, data);
                try (OutputStream out = d.getOutputStream()) {
                    out.write(upload);
                } catch (IOException resetByTheProxy) {
                    // expected: the backend gave up and the proxy closed the data connection
                }
                Reply r = c.readReply();
                assertThat(r.code()).isEqualTo(552);
                assertThat(c.command("NOOP").code()).isEqualTo(200);
            }
            assertThat(fake.storedBytes()).isLessThan(upload.length);
            fake.storFailsAfter(-1);
            assertRecovered(p, fds, fake);
        }
    }

    /**
     * The client resets its upload's data connection half-way (it crashed, or gave up). Straight
     * to the server that is a reset, and the server refuses the file; through the proxy it must
     * stay one, never become the clean close that marks a complete upload.
     */
    @ParameterizedTest(name = "zero-copy={0}")
    @ValueSource(booleans = {false, true})
    void aClientResetMidUploadReachesTheServerAsAReset(boolean zeroCopy) throws Exception {
        byte[] part = Digests.randomBytes(6 * 1024 * 1024, 6);
        try (FakeFtpBackend fake = new FakeFtpBackend().storReadRate(4 * 1024 * 1024);
             PortcullisServer p = proxyTo(fake.port(), c -> c.withData(c.data().withZeroCopy(zeroCopy)))) {
            long fds = ProxyHarness.openFileDescriptors();
            try (FtpTestClient c = FtpTestClient.login(p.boundAddresses().get(0), "u", "p");
                 DataMode.Prepared data = DataMode.PASV.prepare(c)) {
                Socket d = startUpload(c, data);
                d.getOutputStream().write(part);
                // Over a MiB relayed: with zero-copy on, the splice worker has it.
                ProxyHarness.eventually(Duration.ofSeconds(10), () -> assertThat(fake.storReadSoFar()).isGreaterThan(1024 * 1024));
                d.setSoLinger(true, 0);
                d.close(); // a reset, while the slow server still has part of it to read
                assertThat(c.readReply().code()).as("the server saw a reset, not an end of file").isEqualTo(426);
                assertThat(c.command("NOOP").code()).isEqualTo(200);
            }
            fake.storReadRate(0);
            assertRecovered(p, fds, fake);
        }
    }

    /**
     * The backend refuses an upload half-way with a clean end of its side (FIN) and 552, and stops
     * reading. The proxy ends the client's side too and would read what still comes, but only a
     * trailer's worth: a client that goes on uploading is cut off, not drained for seconds.
     */
    @ParameterizedTest(name = "zero-copy={0}")
    @ValueSource(booleans = {false, true})
    void clientStillUploadingAfterTheBackendGaveUpIsCutOff(boolean zeroCopy) throws Exception {
        byte[] upload = Digests.randomBytes(256 * 1024 * 1024, 5);
        try (FakeFtpBackend fake = new FakeFtpBackend().storStopsReadingAfter(1024 * 1024);
             PortcullisServer p = proxyTo(fake.port(), c -> c.withData(c.data().withZeroCopy(zeroCopy)))) {
            long fds = ProxyHarness.openFileDescriptors();
            try (FtpTestClient c = FtpTestClient.login(p.boundAddresses().get(0), "u", "p");
                 DataMode.Prepared data = DataMode.PASV.prepare(c)) {
                Socket d = startUpload(c, data);
                boolean cutOff = false;
                try (OutputStream out = d.getOutputStream()) {
                    out.write(upload);
                } catch (IOException resetByTheProxy) {
                    cutOff = true;
                }
                assertThat(cutOff).as("the proxy stopped taking the upload").isTrue();
                assertThat(c.readReply().code()).isEqualTo(552);
                assertThat(c.command("NOOP").code()).isEqualTo(200);
            }
            fake.storStopsReadingAfter(-1);
            assertRecovered(p, fds, fake);
        }
    }

    /**
     * The backend sends a few bytes on an upload's data connection while the proxy is still
     * delivering the upload (a TLS server's session tickets do that). Closing a socket with unread
     * bytes makes the kernel reset it and throw away what it has not sent yet: the proxy must end
     * its side with a FIN after the last byte and read until the backend closes.
     */
    @ParameterizedTest(name = "zero-copy={0}")
    @ValueSource(booleans = {false, true})
    void uploadTailSurvivesBytesTheBackendSendsBack(boolean zeroCopy) throws Exception {
        byte[] upload = Digests.randomBytes(8 * 1024 * 1024, 4);
        try (FakeFtpBackend fake = new FakeFtpBackend().lateBytesOnUpload(64, upload.length - 2 * 1024 * 1024);
             PortcullisServer p = proxyTo(fake.port(), c -> c.withData(c.data().withZeroCopy(zeroCopy)))) {
            long fds = ProxyHarness.openFileDescriptors();
            for (int i = 0; i < 3; i++) {
                try (FtpTestClient c = FtpTestClient.login(p.boundAddresses().get(0), "u", "p");
                     DataMode.Prepared data = DataMode.PASV.prepare(c)) {
                    Socket d = startUpload(c, data);
                    d.getOutputStream().write(upload);
                    // End of data while the proxy still has most of the upload to deliver; what the
                    // backend sent back is read, so the client's own close cannot reset the connection.
                    d.shutdownOutput();
                    d.getInputStream().readAllBytes();
                    d.close();
                    assertThat(c.readReply().code()).as("upload %d", i).isEqualTo(226);
                }
                assertThat(fake.storedBytes()).as("upload %d", i).isEqualTo(upload.length);
                assertThat(fake.storedSha256()).isEqualTo(Digests.sha256(upload));
            }
            assertRecovered(p, fds, fake);
        }
    }

    @Test
    void clientResetsMidTransferAndUnresolvableName() throws Exception {
        byte[] file = Digests.randomBytes(8 * 1024 * 1024, 3);
        try (FakeFtpBackend fake = new FakeFtpBackend().file(file);
             PortcullisServer p = proxyTo(fake.port(), c -> c)) {
            long fds = ProxyHarness.openFileDescriptors();
            FtpTestClient c = FtpTestClient.login(p.boundAddresses().get(0), "u", "p");
            InetSocketAddress target = c.pasv();
            Socket d = new Socket();
            d.connect(target, 5000);
            c.send("RETR f");
            assertThat(c.readReply().code()).isEqualTo(150);
            d.getInputStream().readNBytes(10_000);
            d.setSoLinger(true, 0);
            d.close();
            c.socket().setSoLinger(true, 0);
            c.close();
            assertRecovered(p, fds, fake);
        }
        try (PortcullisServer p = new PortcullisServer(ProxyHarness.baseConfig(21)
                .withBackend(new HostAndPort("backend.invalid", 21))).start()) {
            long fds = ProxyHarness.openFileDescriptors();
            try (FtpTestClient c = FtpTestClient.connect(p.boundAddresses().get(0))) {
                assertThat(c.readReply().code()).isEqualTo(421);
            }
            assertRecovered(p, fds, null);
        }
    }

    @Test
    void passivePoolExhausted() throws Exception {
        try (FakeFtpBackend fake = new FakeFtpBackend();
             PortcullisServer p = proxyTo(fake.port(), c -> c.withPassivePorts(new PortRange(30450, 30450)))) {
            long fds = ProxyHarness.openFileDescriptors();
            try (FtpTestClient a = FtpTestClient.login(p.boundAddresses().get(0), "u", "p");
                 FtpTestClient b = FtpTestClient.login(p.boundAddresses().get(0), "u", "p")) {
                a.pasv();
                assertThat(b.command("EPSV").code()).isEqualTo(425);
            }
            assertRecovered(p, fds, fake);
        }
    }

    @Test
    void clientThatStopsReadingBoundsTheProxysMemory() throws Exception {
        byte[] file = Digests.randomBytes(96 * 1024 * 1024, 4);
        try (ProxyHarness h = ProxyHarness.start(root, c -> c)) {
            h.write("huge.bin", file);
            long fds = ProxyHarness.openFileDescriptors();
            try (FtpTestClient c = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD);
                 DataMode.Prepared data = DataMode.EPSV.prepare(c)) {
                c.command("TYPE I");
                c.send("RETR huge.bin");
                Socket d = data.open();
                d.setReceiveBufferSize(64 * 1024);
                assertThat(c.readReply().code()).isEqualTo(150);
                InputStream in = d.getInputStream();
                byte[] head = in.readNBytes(1024 * 1024);
                // The client stops reading for two seconds while the backend keeps offering data: the
                // proxy's direct memory must stay bounded all along, not only at the end.
                org.awaitility.Awaitility.await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
                        .pollInterval(Duration.ofMillis(100))
                        .untilAsserted(() -> assertThat(usedDirect()).as("proxy direct memory while the client does not read")
                                .isLessThan(48L * 1024 * 1024));
                byte[] rest = in.readAllBytes();
                assertThat(head.length + rest.length).isEqualTo(file.length);
                byte[] all = new byte[file.length];
                System.arraycopy(head, 0, all, 0, head.length);
                System.arraycopy(rest, 0, all, head.length, rest.length);
                assertThat(Digests.sha256(all)).isEqualTo(Digests.sha256(file));
                assertThat(c.readReply().code()).isEqualTo(226);
            }
            h.assertQuiescent();
            assertThat(ProxyHarness.openFileDescriptors()).isLessThanOrEqualTo(fds + 6);
        }
    }

    private static long usedDirect() {
        return ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider m ? m.metric().usedDirectMemory() : 0;
    }

    @Test
    void expiredBackendCertificateAndAClientThatRejectsOurs(@TempDir Path certs) throws Exception {
        Path p12 = certs.resolve("expired.p12");
        Processes.Result gen = Processes.run(List.of("keytool", "-genkeypair", "-alias", "server", "-keyalg", "EC",
                "-keystore", p12.toString(), "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit",
                "-dname", "CN=expired", "-startdate", "-10d", "-validity", "1"), 60);
        assertThat(gen.exitCode()).as(gen.stderr()).isZero();
        Path cert = certs.resolve("expired.pem");
        Processes.Result export = Processes.run(List.of("keytool", "-exportcert", "-rfc", "-alias", "server",
                "-keystore", p12.toString(), "-storepass", "changeit", "-file", cert.toString()), 60);
        assertThat(export.exitCode()).as(export.stderr()).isZero();
        BackendTlsConfig trustIt = new BackendTlsConfig(BackendTlsConfig.Mode.EXPLICIT, Optional.of(cert), Optional.empty(), false);
        try (ProxyHarness h = ProxyHarness.start(root, c -> c.withBackendTls(trustIt), p12)) {
            long fds = ProxyHarness.openFileDescriptors();
            try (FtpTestClient c = FtpTestClient.connect(h.proxyAddress())) {
                Reply r = c.readReply();
                assertThat(r.code()).as("an expired backend certificate is refused").isEqualTo(421);
            }
            h.assertQuiescent();
            assertThat(ProxyHarness.openFileDescriptors()).isLessThanOrEqualTo(fds + 6);
        }

        TestCertificates.Files own = TestCertificates.create(certs, "untrusted", "ec");
        try (ProxyHarness h = ProxyHarness.start(root, c -> c.withTls(FtpsIT.tls(own.cert(), own.key(), false, List.of())))) {
            long fds = ProxyHarness.openFileDescriptors();
            Processes.Result curl = Processes.run(List.of("curl", "-sS", "--max-time", "20", "--ssl-reqd",
                    "ftp://" + ProxyHarness.USER + ":" + ProxyHarness.PASSWORD + "@127.0.0.1:" + h.proxyAddress().getPort() + "/"), 30);
            assertThat(curl.exitCode()).as("curl refuses a certificate it cannot verify").isNotZero();
            h.assertQuiescent();
            assertThat(ProxyHarness.openFileDescriptors()).isLessThanOrEqualTo(fds + 6);
        }
    }
}
