package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.config.KernelNatConfig;
import dev.portcullis.config.ProxyConfig;
import dev.portcullis.testing.DataMode;
import dev.portcullis.testing.Digests;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.ProxyHarness;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A reload applies what it can to new sessions, and the config in force says exactly what was applied. */
class ReloadIT {

    @TempDir
    Path root;

    @Test
    void aKernelNatChangeIsKeptUntilRestartAndTheConfigInForceSaysSo() throws Exception {
        byte[] file = Digests.randomBytes(200_000, 7);
        try (ProxyHarness h = ProxyHarness.start(root, c -> c)) {
            h.write("f.bin", file);
            ProxyConfig running = h.proxy().config();
            KernelNatConfig on = new KernelNatConfig(true, running.data().kernelNat().nft(), "portcullis_reload");
            h.proxy().reload(running.withData(running.data().withKernelNat(on)));

            assertThat(h.proxy().config().data().kernelNat()).as("kernel-nat needs a restart").isEqualTo(running.data().kernelNat());
            try (FtpTestClient c = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD)) {
                c.command("TYPE I");
                assertThat(DataMode.EPSV.download(c, "RETR f.bin")).isEqualTo(file);
                c.command("QUIT");
            }
            h.assertQuiescent();
        }
    }

    @Test
    void theAdminTokenAppliesAtOnceTheAdminListenerNeedsARestart() throws Exception {
        try (ProxyHarness h = ProxyHarness.start(root, c -> c)) {
            ProxyConfig running = h.proxy().config();
            dev.portcullis.config.AdminConfig changed = new dev.portcullis.config.AdminConfig(
                    java.util.Optional.of(new java.net.InetSocketAddress("127.0.0.1", 1)), java.time.Duration.ofSeconds(7),
                    java.util.Optional.of("a-token-for-the-admin-api"));
            h.proxy().reload(running.withAdmin(changed).withPassivePorts(new dev.portcullis.config.PortRange(31000, 31009)));
            assertThat(h.proxy().config().admin().token()).contains("a-token-for-the-admin-api");
            assertThat(h.proxy().config().admin().listen()).isEqualTo(running.admin().listen());
            assertThat(h.proxy().config().admin().drainTimeout()).isEqualTo(running.admin().drainTimeout());
            assertThat(h.proxy().config().passivePorts()).isEqualTo(running.passivePorts());
            assertThat(h.proxy().config().listen()).isEqualTo(running.listen());
        }
    }
}
