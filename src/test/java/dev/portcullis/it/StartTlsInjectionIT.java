package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.config.TlsConfig;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.Processes;
import dev.portcullis.testing.ProxyHarness;
import dev.portcullis.testing.TestCertificates;
import dev.portcullis.testing.TrustAll;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The STARTTLS command-injection class (CVE-2011-0411): whatever a client pipelines in clear text
 * behind {@code AUTH TLS}, in the same packet or before its handshake completes, is never acted on.
 * A man in the middle could otherwise prepend commands to a session the client believes protected.
 */
class StartTlsInjectionIT {

    @org.junit.jupiter.api.io.TempDir
    static Path root;
    @org.junit.jupiter.api.io.TempDir
    static Path certs;
    static ProxyHarness h;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Processes.available("openssl") || "true".equals(System.getenv("CI")), "openssl command not installed");
        TestCertificates.Files cert = TestCertificates.create(certs, "portcullis-inject", "ec");
        // Optional TLS: a plain-text USER would be accepted on its own, so only the injection guard can refuse it.
        h = ProxyHarness.start(root, c -> c.withTls(new TlsConfig(Optional.of(cert.cert()), Optional.of(cert.key()), Optional.empty(),
                TlsConfig.Policy.OPTIONAL, TlsConfig.DataProtection.ANY, false, List.of(), TlsConfig.DEFAULT_CIPHERS,
                TlsConfig.Provider.AUTO, Duration.ofSeconds(10), List.of())));
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
    void commandsPipelinedInClearTextBehindAuthAreNeverRun(String protocol) throws Exception {
        try (FtpTestClient c = FtpTestClient.connect(h.proxyAddress())) {
            assertThat(c.readReply().code()).isEqualTo(220);
            // One write: AUTH and a clear-text login behind it, as an attacker in the path would inject.
            c.sendRaw(("AUTH TLS\r\nUSER " + ProxyHarness.USER + "\r\nPASS " + ProxyHarness.PASSWORD + "\r\nPWD\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            assertThat(c.readReply().code()).isEqualTo(234);
            FtpTestClient secured = handshake(c, protocol);
            // The first reply after the handshake must answer this command, not the injected ones.
            FtpTestClient.Reply r = secured.command("PBSZ 0");
            assertThat(r.code()).as("first reply after the handshake: %s", r.all()).isEqualTo(200);
            assertThat(secured.command("PWD").code()).as("the injected login never ran").isEqualTo(530);
            assertThat(secured.command("USER " + ProxyHarness.USER).code()).isEqualTo(331);
            assertThat(secured.command("PASS " + ProxyHarness.PASSWORD).code()).isEqualTo(230);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void clearTextSentWhileTheHandshakeRunsIsDiscarded(boolean splitLine) throws Exception {
        try (FtpTestClient c = FtpTestClient.connect(h.proxyAddress())) {
            assertThat(c.readReply().code()).isEqualTo(220);
            // A partial line before AUTH's reply: its rest, sent under TLS, must not complete a command.
            c.sendRaw(("AUTH TLS\r\n" + (splitLine ? "US" : "USER " + ProxyHarness.USER + "\r\n")).getBytes(StandardCharsets.US_ASCII));
            assertThat(c.readReply().code()).isEqualTo(234);
            FtpTestClient secured = handshake(c, "TLSv1.3");
            FtpTestClient.Reply r = secured.command("PBSZ 0");
            assertThat(r.code()).as("first reply after the handshake: %s", r.all()).isEqualTo(200);
            assertThat(secured.command("PASS " + ProxyHarness.PASSWORD).code()).as("no USER was taken from clear text").isEqualTo(503);
        }
    }

    /** The TLS handshake after 234, by hand: the client's own buffered bytes must not be read first. */
    private static FtpTestClient handshake(FtpTestClient c, String protocol) throws Exception {
        Socket plain = c.socket();
        SSLSocket tls = (SSLSocket) TrustAll.context(protocol).getSocketFactory().createSocket(plain, "localhost", plain.getPort(), true);
        tls.setSoTimeout(10_000);
        tls.startHandshake();
        return FtpTestClient.wrap(tls);
    }
}
