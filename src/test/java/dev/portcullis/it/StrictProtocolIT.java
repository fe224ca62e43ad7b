package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.testing.DataMode;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.FtpTestClient.Reply;
import dev.portcullis.testing.Processes;
import dev.portcullis.testing.ProxyHarness;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** policy.strict-protocol: what ASA "inspect ftp strict" refuses, and real clients still work. */
class StrictProtocolIT {

    @TempDir
    Path root;

    private static ProxyHarness strict(Path root) throws Exception {
        return ProxyHarness.start(root, c -> c.withCommands(c.commands().withStrictProtocol(true)));
    }

    private static FtpTestClient login(ProxyHarness h) throws Exception {
        return FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD);
    }

    @Test
    void realClientsPassInStrictMode() throws Exception {
        try (ProxyHarness h = strict(root)) {
            h.write("f.txt", "strict but fair".getBytes(StandardCharsets.US_ASCII));
            Processes.Result curl = Processes.run(List.of("curl", "-sS", "--max-time", "20", h.url("f.txt")), 30);
            assertThat(curl.out()).as(curl.stderr()).isEqualTo("strict but fair");
            Processes.Result active = Processes.run(List.of("curl", "-sS", "--max-time", "20", "-P", "127.0.0.1", h.url("f.txt")), 30);
            assertThat(active.out()).as(active.stderr()).isEqualTo("strict but fair");
            if (Processes.available("lftp")) {
                Processes.Result lftp = Processes.run(List.of("lftp", "-c", "set net:max-retries 1; open -u "
                        + ProxyHarness.USER + "," + ProxyHarness.PASSWORD + " ftp://127.0.0.1:" + h.proxyAddress().getPort()
                        + "; cat f.txt"), 30);
                assertThat(lftp.out()).as(lftp.stderr()).isEqualTo("strict but fair");
            }
            try (FtpTestClient c = login(h)) {
                assertThat(new String(DataMode.PASV.download(c, "RETR f.txt"), StandardCharsets.US_ASCII)).isEqualTo("strict but fair");
            }
        }
    }

    @Test
    void commandPipelinedBehindPasvCloses() throws Exception {
        try (ProxyHarness h = strict(root); FtpTestClient c = login(h)) {
            c.sendRaw("PASV\r\nLIST\r\n".getBytes(StandardCharsets.US_ASCII));
            Reply first = c.readReply();
            Reply r = first.code() == 227 ? c.readReply() : first;
            assertThat(r.code()).isEqualTo(421);
            assertThat(r.last()).contains("no command may follow PORT, EPRT, PASV or EPSV");
            assertThat(c.isClosedByPeer()).isTrue();
            h.assertQuiescent();
        }
    }

    @Test
    void bareLineFeedAndReplyLikeLinesClose() throws Exception {
        try (ProxyHarness h = strict(root)) {
            try (FtpTestClient c = login(h)) {
                c.sendRaw("NOOP\n".getBytes(StandardCharsets.US_ASCII));
                Reply r = c.readReply();
                assertThat(r.code()).isEqualTo(421);
                assertThat(r.last()).contains("CR LF");
            }
            try (FtpTestClient c = login(h)) {
                Reply r = c.command("227 Entering Passive Mode (127,0,0,1,4,1)");
                assertThat(r.code()).isEqualTo(421);
                assertThat(r.last()).contains("may not send replies");
            }
            h.assertQuiescent();
            assertThat(h.proxy().metrics().count("portcullis.blocked", "reason", "policy")).isEqualTo(2);
        }
        // Without the switch the same lines are accepted or relayed.
        try (ProxyHarness h = ProxyHarness.start(root, c -> c); FtpTestClient c = login(h)) {
            c.sendRaw("NOOP\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(c.readReply().code()).isEqualTo(200);
        }
    }
}
