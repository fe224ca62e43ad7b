package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.config.Timeouts;
import dev.portcullis.config.TlsConfig;
import dev.portcullis.metrics.MeterNames;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.FtpTestClient.Reply;
import dev.portcullis.testing.Processes;
import dev.portcullis.testing.ProxyHarness;
import dev.portcullis.testing.TestCertificates;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an unauthenticated connection may cost: a backend session only once the client has shown
 * it speaks FTP over TLS on an implicit listener, and nothing past timeouts.login without a login.
 */
class PreLoginCostIT {

    @TempDir
    Path root;
    @TempDir
    Path certs;

    private static long backendConnects(ProxyHarness h) {
        Timer t = h.proxy().metrics().registry().find(MeterNames.BACKEND_CONNECT).tag("outcome", "ok").timer();
        return t == null ? 0 : t.count();
    }

    @Test
    void implicitTlsConnectionsCostNoBackendSessionBeforeTheirHandshake() throws Exception {
        Assumptions.assumeTrue(Processes.available("openssl") || "true".equals(System.getenv("CI")), "openssl command not installed");
        TestCertificates.Files cert = TestCertificates.create(certs, "portcullis-prelogin", "ec");
        try (ProxyHarness h = ProxyHarness.start(root, c -> c.withTls(new TlsConfig(Optional.of(cert.cert()), Optional.of(cert.key()),
                Optional.empty(), TlsConfig.Policy.REQUIRED, TlsConfig.DataProtection.PRIVATE_REQUIRED, false,
                List.of(new InetSocketAddress("127.0.0.1", 0)), TlsConfig.DEFAULT_CIPHERS, TlsConfig.Provider.AUTO,
                Duration.ofSeconds(10), List.of())))) {
            InetSocketAddress implicit = h.proxy().boundAddresses().get(1);
            List<Socket> halfOpen = new ArrayList<>();
            try {
                for (int i = 0; i < 20; i++) {
                    Socket s = new Socket();
                    s.connect(implicit, 5000);
                    halfOpen.add(s); // connected, never a ClientHello
                }
                ProxyHarness.awaitTrue(Duration.ofSeconds(10), () -> h.proxy().sessions().size() == 20);
                assertThat(backendConnects(h)).as("backend sessions opened for connections without a handshake").isZero();
            } finally {
                for (Socket s : halfOpen) {
                    s.close();
                }
            }
        }
    }

    @Test
    void aConnectionThatNeverLogsInIsClosedAfterTheLoginTimeout() throws Exception {
        Timeouts t = Timeouts.DEFAULTS;
        try (ProxyHarness h = ProxyHarness.start(root, c -> c.withTimeouts(
                new Timeouts(t.idle(), t.dataConnect(), t.backendConnect(), t.expectation(), t.backendReply(), Duration.ofSeconds(2))))) {
            try (FtpTestClient loggedIn = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD);
                 FtpTestClient lurker = FtpTestClient.connect(h.proxyAddress())) {
                lurker.socket().setSoTimeout(20_000);
                assertThat(lurker.readReply().code()).isEqualTo(220);
                lurker.sendRaw("USER ".getBytes(java.nio.charset.StandardCharsets.US_ASCII)); // a line it never finishes
                Reply r = lurker.readReply();
                assertThat(r.code()).isEqualTo(421);
                assertThat(r.last()).contains("Login timeout");
                assertThat(lurker.isClosedByPeer()).isTrue();
                assertThat(loggedIn.command("NOOP").code()).as("a logged-in session is not affected").isEqualTo(200);
            }
            h.assertQuiescent();
        }
    }
}
