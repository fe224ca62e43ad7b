package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.config.Timeouts;
import dev.portcullis.config.TlsConfig;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.Processes;
import dev.portcullis.testing.ProxyHarness;
import dev.portcullis.testing.TestCertificates;
import dev.portcullis.testing.TrustAll;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client whose data connections do not resume the control session, under
 * tls.require-session-reuse, is told why (522, as vsftpd says it), not "the data connection failed".
 */
class TlsReuseRefusalIT {

    @TempDir
    Path root;
    @TempDir
    Path certs;

    @Test
    void aDataConnectionThatDoesNotResumeIsAnswered522() throws Exception {
        Assumptions.assumeTrue(Processes.available("openssl") || "true".equals(System.getenv("CI")), "openssl command not installed");
        TestCertificates.Files cert = TestCertificates.create(certs, "portcullis-reuse", "ec");
        Timeouts t = Timeouts.DEFAULTS;
        try (ProxyHarness h = ProxyHarness.start(root, c -> c
                .withTimeouts(new Timeouts(t.idle(), t.dataConnect(), t.backendConnect(), Duration.ofSeconds(2), t.backendReply(), t.login()))
                .withTls(new TlsConfig(Optional.of(cert.cert()), Optional.of(cert.key()), Optional.empty(), TlsConfig.Policy.REQUIRED,
                        TlsConfig.DataProtection.PRIVATE_REQUIRED, true, List.of(), TlsConfig.DEFAULT_CIPHERS, TlsConfig.Provider.AUTO,
                        Duration.ofSeconds(10), List.of())))) {
            h.write("f.bin", new byte[50_000]);
            try (FtpTestClient c = FtpTestClient.connect(h.proxyAddress())) {
                c.socket().setSoTimeout(20_000);
                assertThat(c.readReply().code()).isEqualTo(220);
                c.startTls(TrustAll.context("TLSv1.3").getSocketFactory());
                assertThat(c.command("USER " + ProxyHarness.USER).code()).isEqualTo(331);
                assertThat(c.command("PASS " + ProxyHarness.PASSWORD).code()).isEqualTo(230);
                assertThat(c.command("PBSZ 0").code()).isEqualTo(200);
                assertThat(c.command("PROT P").code()).isEqualTo(200);
                InetSocketAddress port = c.pasv();
                c.send("RETR f.bin");
                assertThat(c.readReply().code()).isEqualTo(150);
                try (Socket plain = new Socket()) {
                    plain.connect(port, 5000);
                    plain.setSoTimeout(10_000);
                    // A fresh TLS context: nothing to resume.
                    SSLSocket tls = (SSLSocket) TrustAll.context("TLSv1.3").getSocketFactory().createSocket(plain, "other", 1, true);
                    try {
                        tls.startHandshake();
                        tls.getInputStream().read();
                    } catch (java.io.IOException refused) {
                        // closed by the proxy: expected
                    }
                }
                FtpTestClient.Reply r = c.readReply();
                assertThat(r.code()).as(r.all()).isEqualTo(522);
                assertThat(r.last()).contains("session reuse required");
                assertThat(c.command("NOOP").code()).isEqualTo(200);
            }
            h.assertQuiescent();
        }
    }
}
