package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.config.BackendTlsConfig;
import dev.portcullis.config.TlsConfig;
import dev.portcullis.testing.DataMode;
import dev.portcullis.testing.Digests;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.Processes;
import dev.portcullis.testing.ProxyHarness;
import dev.portcullis.testing.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** TLS towards the backend with either engine: downloads, listings and uploads end with their 226. */
class BackendTlsProviderIT {

    @TempDir
    Path root;
    @TempDir
    Path certs;

    @ParameterizedTest
    @EnumSource(value = TlsConfig.Provider.class, names = {"AUTO", "JDK"})
    void transfersThroughATlsBackendEnd(TlsConfig.Provider provider) throws Exception {
        Assumptions.assumeTrue(Processes.available("openssl") || "true".equals(System.getenv("CI")), "openssl command not installed");
        TestCertificates.Files backendCert = TestCertificates.create(certs, "backend", "rsa");
        byte[] content = Digests.randomBytes(1024 * 1024 + 3, 9);
        Files.write(root.resolve("b.bin"), content);
        Files.write(root.resolve("empty.bin"), new byte[0]);
        BackendTlsConfig toBackend = new BackendTlsConfig(BackendTlsConfig.Mode.EXPLICIT, Optional.of(backendCert.cert()), Optional.empty(), false);
        TlsConfig engine = new TlsConfig(Optional.empty(), Optional.empty(), Optional.empty(), TlsConfig.Policy.OFF,
                TlsConfig.DataProtection.ANY, false, List.of(), TlsConfig.DEFAULT_CIPHERS, provider, Duration.ofSeconds(10), List.of());
        try (ProxyHarness h = ProxyHarness.start(root, c -> c.withBackendTls(toBackend).withTls(engine), backendCert.pkcs12());
             FtpTestClient c = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD)) {
            c.socket().setSoTimeout(20_000);
            c.command("TYPE I");
            assertThat(Digests.sha256(DataMode.EPSV.download(c, "RETR b.bin"))).isEqualTo(Digests.sha256(content));
            assertThat(DataMode.EPSV.download(c, "RETR empty.bin")).isEmpty();
            assertThat(new String(DataMode.EPSV.download(c, "NLST"))).contains("b.bin");
            assertThat(DataMode.EPSV.upload(c, "STOR up.bin", content).code()).isEqualTo(226);
            assertThat(Digests.sha256(Files.readAllBytes(root.resolve("up.bin")))).isEqualTo(Digests.sha256(content));
            assertThat(DataMode.EPSV.upload(c, "STOR up0.bin", new byte[0]).code()).isEqualTo(226);
            assertThat(c.command("NOOP").code()).isEqualTo(200);
        }
    }
}
