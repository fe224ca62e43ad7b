package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.config.CommandRules;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.FtpTestClient.Reply;
import dev.portcullis.testing.ProxyHarness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Commands and anonymous logins refused by configuration, without the backend seeing them. */
class CommandPolicyIT {

    @TempDir
    Path root;

    @Test
    void deniedCommandsAndAnonymousLogins() throws Exception {
        try (ProxyHarness h = ProxyHarness.start(root, c -> c.withCommands(new CommandRules(List.of("SITE EXEC", "DELE"), true)))) {
            Files.writeString(root.resolve("keep.txt"), "keep");
            try (FtpTestClient c = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD)) {
                Reply dele = c.command("DELE keep.txt");
                assertThat(dele.code()).isEqualTo(550);
                assertThat(dele.last()).contains("DELE is not allowed here");
                assertThat(Files.exists(root.resolve("keep.txt"))).isTrue();
                assertThat(c.command("SITE EXEC /bin/sh").code()).isEqualTo(550);
                assertThat(c.command("NOOP").code()).isEqualTo(200);
            }
            try (FtpTestClient anon = FtpTestClient.connect(h.proxyAddress())) {
                anon.readReply();
                Reply r = anon.command("USER anonymous");
                assertThat(r.code()).isEqualTo(530);
                assertThat(r.last()).contains("Anonymous login is not allowed");
            }
            assertThat(h.proxy().metrics().count(dev.portcullis.metrics.MeterNames.BLOCKED, "reason", "policy")).isEqualTo(3);
        }
    }

    @Test
    void aReadOnlyAllowListWithCurl() throws Exception {
        try (ProxyHarness h = ProxyHarness.start(root, c -> c.withCommands(c.commands().withAllowCommands(
                List.of("PWD", "CWD", "TYPE", "SIZE", "MDTM", "EPSV", "PASV", "EPRT", "PORT", "RETR", "LIST", "NLST", "MLSD", "OPTS"))))) {
            Files.writeString(root.resolve("pub.txt"), "readable");
            dev.portcullis.testing.Processes.Result get = dev.portcullis.testing.Processes.run(
                    List.of("curl", "-sS", "--max-time", "20", h.url("pub.txt")), 30);
            assertThat(get.out()).as(get.stderr()).isEqualTo("readable");
            dev.portcullis.testing.Processes.Result put = dev.portcullis.testing.Processes.run(
                    List.of("curl", "-sS", "--max-time", "20", "-T", root.resolve("pub.txt").toString(), h.url("new.txt")), 30);
            assertThat(put.exitCode()).isNotZero();
            assertThat(put.stderr()).contains("550");
            assertThat(Files.exists(root.resolve("new.txt"))).isFalse();
            try (FtpTestClient c = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD)) {
                assertThat(c.command("MKD x").last()).contains("MKD is not allowed here");
                assertThat(c.command("NOOP").code()).isEqualTo(200);
            }
        }
    }
}
