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
}
