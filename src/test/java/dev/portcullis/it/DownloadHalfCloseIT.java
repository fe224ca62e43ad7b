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
        if (backend.equals("vsftpd")) {
            VsftpdProcess.assumeAvailable();
            try (VsftpdProcess vsftpd = VsftpdProcess.start(31700, 31799)) {
                Files.write(vsftpd.root().resolve("small.bin"), SMALL);
                Files.write(vsftpd.root().resolve("large.bin"), LARGE);
                PortcullisServer proxy = new PortcullisServer(config.apply(ProxyHarness.baseConfig(vsftpd.port()))).start();
                try {
                    runAll(proxy.boundAddresses().get(0), "anonymous", "guest", failures);
                } finally {
                    proxy.stop();
                }
            }
        } else {
            try (ProxyHarness h = ProxyHarness.start(root, config)) {
                h.write("small.bin", SMALL);
                h.write("large.bin", LARGE);
                runAll(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD, failures);
                h.assertQuiescent();
            }
        }
        assertThat(failures).as("half-closed downloads that lost bytes or their 226").isEmpty();
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
