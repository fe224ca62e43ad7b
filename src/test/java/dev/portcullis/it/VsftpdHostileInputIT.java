package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.PortcullisServer;
import dev.portcullis.config.Limits;
import dev.portcullis.config.Timeouts;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.FtpTestClient.Reply;
import dev.portcullis.testing.ProxyHarness;
import dev.portcullis.testing.VsftpdProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Inputs that are legal but unusual, against a real vsftpd with the proxy's default limits: what
 * vsftpd alone answers normally must get a normal answer through the proxy too, not a 421.
 */
class VsftpdHostileInputIT {

    static VsftpdProcess vsftpd;
    static PortcullisServer proxy;

    @BeforeAll
    static void start() throws Exception {
        VsftpdProcess.assumeAvailable();
        vsftpd = VsftpdProcess.start(31100, 31149);
        Path big = Files.createDirectories(vsftpd.root().resolve("big"));
        for (int i = 0; i < 1500; i++) {
            Files.write(big.resolve("entry-" + i + ".txt"), new byte[] {(byte) i});
        }
        Files.write(vsftpd.root().resolve("f.bin"), new byte[100_000]);
        Timeouts t = Timeouts.DEFAULTS;
        // A short expectation, so that a client that never connects is noticed within the test's patience.
        proxy = new PortcullisServer(ProxyHarness.baseConfig(vsftpd.port())
                .withTimeouts(new Timeouts(t.idle(), t.dataConnect(), t.backendConnect(), Duration.ofSeconds(2), t.backendReply()))).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (proxy != null) {
            proxy.stop();
        }
        if (vsftpd != null) {
            vsftpd.close();
        }
    }

    private static FtpTestClient anonymous() throws Exception {
        FtpTestClient c = FtpTestClient.login(proxy.boundAddresses().get(0), "anonymous", "guest@");
        c.socket().setSoTimeout(20_000);
        return c;
    }

    @Test
    void theDefaultLineLimitFitsVsftpds() throws Exception {
        assertThat(Limits.DEFAULTS.maxLineLength()).isLessThanOrEqualTo(4094);
        try (FtpTestClient c = anonymous()) {
            // The longest line the proxy takes reaches vsftpd and gets vsftpd's own answer.
            Reply longest = c.command("CWD " + "x".repeat(Limits.DEFAULTS.maxLineLength() - 4));
            assertThat(longest.code()).as(longest.all()).isEqualTo(550);
            // One byte more is the proxy's 500, and the session goes on.
            Reply over = c.command("CWD " + "x".repeat(Limits.DEFAULTS.maxLineLength() - 3));
            assertThat(over.code()).as(over.all()).isEqualTo(500);
            assertThat(c.command("NOOP").code()).isEqualTo(200);
        }
    }

    @Test
    void statOfALargeDirectoryIsRelayedWhole() throws Exception {
        try (FtpTestClient c = anonymous()) {
            Reply stat = c.command("STAT big");
            assertThat(stat.code()).as(stat.lines().get(0)).isEqualTo(213);
            assertThat(stat.lines()).hasSizeGreaterThan(1500);
            assertThat(c.command("NOOP").code()).isEqualTo(200);
        }
    }

    @Test
    void aTransferTheClientNeverConnectsForGets425AndTheSessionGoesOn() throws Exception {
        try (FtpTestClient c = anonymous()) {
            c.pasv();
            long started = System.nanoTime();
            Reply r = c.command("RETR f.bin");
            if (r.code() == 150) {
                r = c.readReply();
            }
            assertThat(r.code()).as(r.all()).isEqualTo(425);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("answered long before the backend-reply timeout")
                    .isLessThan(Duration.ofSeconds(20));
            assertThat(c.command("NOOP").code()).isEqualTo(200);
            assertThat(c.command("PWD").code()).isEqualTo(257);
        }
    }
}
