package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.PortcullisServer;
import dev.portcullis.config.ProxyConfig;
import dev.portcullis.testing.Digests;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.ProxyHarness;
import dev.portcullis.testing.VsftpdProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 28, item 3: the direction of a transfer decides whose end of stream means "done". A
 * download's client that shuts down its write side (after a few stray bytes, or none) has not
 * received the file yet: it must still get every byte and 226, as it does from vsftpd alone.
 * Through vsftpd and the in-JVM backend, copy path and splice path, half-closed right after 150
 * (1,000,000-byte file, copied) and in the middle (3,000,000 bytes, after the hand-off to splice).
 */
class DownloadHalfCloseIT {

    private static final byte[] SMALL = Digests.randomBytes(1_000_000, 2803);
    private static final byte[] LARGE = Digests.randomBytes(3_000_000, 2804);

    @TempDir
    Path root;

    @ParameterizedTest(name = "{0}, zero-copy {1}")
    @CsvSource({"vsftpd, true", "vsftpd, false", "in-jvm, true", "in-jvm, false"})
    void aHalfClosedDownloadGetsEveryByteAnd226(String backend, boolean zeroCopy) throws Exception {
        UnaryOperator<ProxyConfig> config = c -> c.withData(c.data().withZeroCopy(zeroCopy));
        List<String> failures = new ArrayList<>();
        throughBackend(backend, config, (proxy, user, password) -> runAll(proxy, user, password, failures));
        assertThat(failures).as("half-closed downloads that lost bytes or their 226").isEmpty();
    }

    /**
     * Under PROT P the same half-close is a close_notify, after which this proxy's TLS engine (as
     * OpenSSL's) sends nothing more: the rest of the file cannot reach the client, so the transfer
     * must not be reported complete. The client reads one record and half-closes; its receive
     * buffer is small, so most of the file is still in the proxy when the close_notify arrives,
     * while the backend, whose data fits in the kernel's buffers, may well have answered 226.
     * Before the relay counted a receiver that failed as lost bytes, that 226 reached the client.
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"vsftpd", "in-jvm"})
    void aTlsDownloadCutShortByTheClientsCloseNotifyIsNever226(String backend, @TempDir Path certs) throws Exception {
        dev.portcullis.testing.TestCertificates.Files cert = dev.portcullis.testing.TestCertificates.create(certs, "half-close", "ec");
        dev.portcullis.config.TlsConfig tls = new dev.portcullis.config.TlsConfig(java.util.Optional.of(cert.cert()),
                java.util.Optional.of(cert.key()), java.util.Optional.empty(), dev.portcullis.config.TlsConfig.Policy.OPTIONAL,
                dev.portcullis.config.TlsConfig.DataProtection.ANY, false, List.of(), dev.portcullis.config.TlsConfig.DEFAULT_CIPHERS,
                dev.portcullis.config.TlsConfig.Provider.AUTO, java.time.Duration.ofSeconds(10), List.of());
        UnaryOperator<ProxyConfig> config = c -> c.withTls(tls);
        List<String> failures = new ArrayList<>();
        throughBackend(backend, config, (proxy, user, password) -> tlsCloseNotify(proxy, user, password, failures));
        assertThat(failures).as("TLS downloads cut short by the client, reported complete").isEmpty();
    }

    /** What a scenario does through the proxy: connect to {@code proxy} and log in as given. */
    private interface Scenario {
        void run(InetSocketAddress proxy, String user, String password) throws Exception;
    }

    /** Runs {@code scenario} through a proxy (configured by {@code config}) in front of vsftpd or the in-JVM backend. */
    private void throughBackend(String backend, UnaryOperator<ProxyConfig> config, Scenario scenario) throws Exception {
        if (backend.equals("vsftpd")) {
            VsftpdProcess.assumeAvailable();
            try (VsftpdProcess vsftpd = VsftpdProcess.start(31700, 31799)) {
                Files.write(vsftpd.root().resolve("small.bin"), SMALL);
                Files.write(vsftpd.root().resolve("large.bin"), LARGE);
                PortcullisServer proxy = new PortcullisServer(config.apply(ProxyHarness.baseConfig(vsftpd.port()))).start();
                try {
                    scenario.run(proxy.boundAddresses().get(0), "anonymous", "guest");
                } finally {
                    proxy.stop();
                }
            }
        } else {
            try (ProxyHarness h = ProxyHarness.start(root, config)) {
                h.write("small.bin", SMALL);
                h.write("large.bin", LARGE);
                scenario.run(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD);
                h.assertQuiescent();
            }
        }
    }

    private static void tlsCloseNotify(InetSocketAddress proxy, String user, String password, List<String> failures) throws Exception {
        javax.net.ssl.SSLContext ctx = dev.portcullis.testing.TrustAll.context("TLSv1.3");
        try (FtpTestClient c = FtpTestClient.connect(proxy)) {
            assertThat(c.readReply().code()).isEqualTo(220);
            c.startTls(ctx.getSocketFactory());
            int code = c.command("USER " + user).code();
            if (code == 331) {
                code = c.command("PASS " + password).code();
            }
            assertThat(code).isEqualTo(230);
            assertThat(c.command("PBSZ 0").code()).isEqualTo(200);
            assertThat(c.command("PROT P").code()).isEqualTo(200);
            assertThat(c.command("TYPE I").code()).isEqualTo(200);
            for (int round = 0; round < 3; round++) {
                InetSocketAddress data = c.epsv();
                byte[] got;
                try (Socket plain = new Socket()) {
                    plain.setReceiveBufferSize(16 * 1024);
                    plain.setSoTimeout(20_000);
                    plain.connect(data, 5_000);
                    c.send("RETR large.bin");
                    assertThat(c.readReply().code()).isEqualTo(150);
                    javax.net.ssl.SSLSocket d = (javax.net.ssl.SSLSocket) ctx.getSocketFactory().createSocket(plain, "localhost",
                            c.socket().getPort(), true);
                    d.startHandshake();
                    int first = d.getInputStream().read(); // the data flows: most of it waits in the proxy
                    d.shutdownOutput(); // close_notify (TLS 1.3 half-close)
                    try {
                        byte[] rest = d.getInputStream().readAllBytes();
                        got = new byte[rest.length + 1];
                        got[0] = (byte) first;
                        System.arraycopy(rest, 0, got, 1, rest.length);
                    } catch (IOException cut) {
                        got = null;
                    }
                }
                FtpTestClient.Reply done = c.readReply();
                if (done.code() == 226 && (got == null || !java.util.Arrays.equals(got, LARGE))) {
                    failures.add("round " + round + ": 226 with " + (got == null ? "a reset" : got.length + " of " + LARGE.length + " bytes"));
                } else if (done.code() != 226 && done.code() < 400) {
                    failures.add("round " + round + ": " + done.code());
                }
            }
        }
    }

    private static void runAll(InetSocketAddress proxy, String user, String password, List<String> failures) throws IOException {
        try (FtpTestClient c = FtpTestClient.login(proxy, user, password)) {
            assertThat(c.command("TYPE I").code()).isEqualTo(200);
            for (boolean stray : new boolean[] {true, false}) {
                check(c, "small.bin", SMALL, 0, stray, failures);
                check(c, "large.bin", LARGE, 1_500_000, stray, failures);
            }
        }
    }

    /** RETR of {@code name}; after {@code readFirst} bytes the client sends a few bytes (or none) and shuts down its output. */
    private static void check(FtpTestClient c, String name, byte[] expected, int readFirst, boolean stray, List<String> failures)
            throws IOException {
        InetSocketAddress data = c.epsv();
        byte[] got;
        try (Socket d = new Socket()) {
            d.setSoTimeout(20_000);
            d.connect(data, 5_000);
            c.send("RETR " + name);
            FtpTestClient.Reply first = c.readReply();
            assertThat(first.code()).as(first.all()).isEqualTo(150);
            InputStream in = d.getInputStream();
            byte[] head = in.readNBytes(readFirst);
            if (stray) {
                OutputStream out = d.getOutputStream();
                out.write("stray bytes from the client\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                out.flush();
            }
            d.shutdownOutput();
            byte[] tail = in.readAllBytes();
            got = new byte[head.length + tail.length];
            System.arraycopy(head, 0, got, 0, head.length);
            System.arraycopy(tail, 0, got, head.length, tail.length);
        }
        FtpTestClient.Reply done = c.readReply();
        String what = name + " half-closed after " + readFirst + " bytes" + (stray ? " and stray bytes" : "");
        if (done.code() != 226 || !java.util.Arrays.equals(got, expected)) {
            failures.add(what + ": " + got.length + " of " + expected.length + " bytes" + (java.util.Arrays.equals(got, expected) ? "" : " (differ)")
                    + ", reply " + done.code());
        }
    }
}
