package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.testing.DataMode;
import dev.portcullis.testing.Digests;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.FtpTestClient.Reply;
import dev.portcullis.testing.ProxyHarness;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every command family through the proxy to an in-JVM Apache FtpServer, checked byte by byte. */
class ProxyRelayIT {

    @TempDir
    static Path root;
    static ProxyHarness h;
    static byte[] big;

    @BeforeAll
    static void start() throws Exception {
        h = ProxyHarness.start(root, c -> c.withListen(List.of(
                new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("::1", 0))));
        big = Digests.randomBytes(3 * 1024 * 1024 + 17, 42);
        h.write("big.bin", big);
        h.write("dir/a.txt", "alpha\n".getBytes(StandardCharsets.US_ASCII));
        h.write("dir/b.txt", "beta\n".getBytes(StandardCharsets.US_ASCII));
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    @AfterEach
    void nothingLeaks() throws Exception {
        h.assertQuiescent();
    }

    private static FtpTestClient login() throws Exception {
        return FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD);
    }

    @ParameterizedTest
    @EnumSource(DataMode.class)
    void retrAndStorAreByteExact(DataMode mode) throws Exception {
        try (FtpTestClient c = login()) {
            assertThat(c.command("TYPE I").code()).isEqualTo(200);
            byte[] got = mode.download(c, "RETR big.bin");
            assertThat(Digests.sha256(got)).isEqualTo(Digests.sha256(big));

            byte[] up = Digests.randomBytes(2 * 1024 * 1024 + 3, mode.ordinal());
            Reply r = mode.upload(c, "STOR up-" + mode + ".bin", up);
            assertThat(r.code()).as(r.all()).isEqualTo(226);
            assertThat(Digests.sha256(root.resolve("up-" + mode + ".bin"))).isEqualTo(Digests.sha256(up));
            assertThat(c.command("QUIT").code()).isEqualTo(221);
            assertThat(c.isClosedByPeer()).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(value = DataMode.class, names = {"EPSV", "EPRT"})
    void ipv6ClientToIpv4Backend(DataMode mode) throws Exception {
        InetSocketAddress v6 = h.proxy().boundAddresses().get(1);
        try (FtpTestClient c = FtpTestClient.login(v6, ProxyHarness.USER, ProxyHarness.PASSWORD)) {
            assertThat(c.localAddress().getHostAddress()).contains(":");
            c.command("TYPE I");
            assertThat(Digests.sha256(mode.download(c, "RETR big.bin"))).isEqualTo(Digests.sha256(big));
        }
    }

    /** PASV on an IPv6 connection: 227 with 0,0,0,0 as vsftpd answers, and clients use the control address. */
    @Test
    void pasvOnAnIpv6ConnectionWorksAsWithVsftpd() throws Exception {
        InetSocketAddress v6 = h.proxy().boundAddresses().get(1);
        try (FtpTestClient c = FtpTestClient.login(v6, ProxyHarness.USER, ProxyHarness.PASSWORD)) {
            FtpTestClient.Reply pasv = c.command("PASV");
            assertThat(pasv.code()).as(pasv.all()).isEqualTo(227);
            assertThat(pasv.last()).contains("(0,0,0,0,");
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.portcullis.testing.Processes.available("curl"), "curl not installed");
        dev.portcullis.testing.Processes.Result get = dev.portcullis.testing.Processes.run(java.util.List.of("curl", "-sS", "--max-time", "60",
                "--disable-epsv", "ftp://" + ProxyHarness.USER + ":" + ProxyHarness.PASSWORD + "@[::1]:" + v6.getPort() + "/big.bin"), 90);
        assertThat(get.exitCode()).as(get.stderr()).isZero();
        assertThat(Digests.sha256(get.stdout())).isEqualTo(Digests.sha256(big));
    }

    @Test
    void listingsInEveryForm() throws Exception {
        try (FtpTestClient c = login()) {
            assertThat(c.command("CWD dir").code()).isEqualTo(250);
            assertThat(c.command("PWD").last()).contains("\"/dir\"");
            String list = new String(DataMode.PASV.download(c, "LIST"), StandardCharsets.UTF_8);
            assertThat(list).contains("a.txt").contains("b.txt");
            String nlst = new String(DataMode.PORT.download(c, "NLST"), StandardCharsets.UTF_8);
            assertThat(nlst.lines()).containsExactlyInAnyOrder("a.txt", "b.txt");
            String mlsd = new String(DataMode.EPSV.download(c, "MLSD"), StandardCharsets.UTF_8);
            assertThat(mlsd).contains("a.txt").containsIgnoringCase("type=file");
            Reply mlst = c.command("MLST a.txt");
            assertThat(mlst.code()).isEqualTo(250);
            assertThat(mlst.all()).contains("a.txt");
            assertThat(c.command("CDUP").code()).isIn(200, 250);
            assertThat(c.command("PWD").last()).contains("\"/\"");
        }
    }

    @Test
    void fileManagementCommands() throws Exception {
        try (FtpTestClient c = login()) {
            assertThat(c.command("MKD newdir").code()).isEqualTo(257);
            assertThat(Files.isDirectory(root.resolve("newdir"))).isTrue();
            DataMode.EPSV.upload(c, "STOR newdir/x.txt", "hello".getBytes(StandardCharsets.US_ASCII));
            assertThat(c.command("SIZE newdir/x.txt").last()).isEqualTo("213 5");
            assertThat(c.command("MDTM newdir/x.txt").code()).isEqualTo(213);
            assertThat(c.command("RNFR newdir/x.txt").code()).isEqualTo(350);
            assertThat(c.command("RNTO newdir/y.txt").code()).isEqualTo(250);
            assertThat(Files.exists(root.resolve("newdir/y.txt"))).isTrue();
            assertThat(c.command("DELE newdir/y.txt").code()).isEqualTo(250);
            assertThat(c.command("RMD newdir").code()).isEqualTo(250);
            assertThat(Files.exists(root.resolve("newdir"))).isFalse();
            assertThat(c.command("DELE nonexistent").code()).isIn(450, 550);
        }
    }

    @Test
    void restAppeStouAndTypes() throws Exception {
        try (FtpTestClient c = login()) {
            c.command("TYPE I");
            byte[] tail;
            try (DataMode.Prepared p = DataMode.PASV.prepare(c)) {
                // RFC 959: REST goes immediately before the transfer command (FtpServer forgets it on PASV).
                assertThat(c.command("REST 1000000").code()).isEqualTo(350);
                c.send("RETR big.bin");
                assertThat(c.readReply().code()).isEqualTo(150);
                try (Socket s = p.open()) {
                    tail = s.getInputStream().readAllBytes();
                }
                assertThat(c.readReply().code()).isEqualTo(226);
            }
            assertThat(Digests.sha256(tail)).isEqualTo(Digests.sha256(java.util.Arrays.copyOfRange(big, 1_000_000, big.length)));

            DataMode.EPRT.upload(c, "STOR app.txt", "one,".getBytes(StandardCharsets.US_ASCII));
            Reply r = DataMode.EPSV.upload(c, "APPE app.txt", "two".getBytes(StandardCharsets.US_ASCII));
            assertThat(r.code()).isEqualTo(226);
            assertThat(Files.readString(root.resolve("app.txt"))).isEqualTo("one,two");

            try (DataMode.Prepared p = DataMode.PASV.prepare(c)) {
                c.send("STOU");
                Reply first = c.readReply();
                assertThat(first.code()).isEqualTo(150);
                try (Socket s = p.open()) {
                    s.getOutputStream().write("unique".getBytes(StandardCharsets.US_ASCII));
                }
                assertThat(c.readReply().code()).isEqualTo(226);
            }
            assertThat(c.command("TYPE A").code()).isEqualTo(200);
            assertThat(c.command("MODE S").code()).isEqualTo(200);
            assertThat(c.command("STRU F").code()).isEqualTo(200);
        }
    }

    @Test
    void informationalCommandsPassThrough() throws Exception {
        try (FtpTestClient c = login()) {
            assertThat(c.command("NOOP").code()).isEqualTo(200);
            assertThat(c.command("SYST").code()).isEqualTo(215);
            assertThat(c.command("HELP").code()).isIn(211, 214);
            assertThat(c.command("STAT").code()).isIn(211, 212, 213);
            assertThat(c.command("OPTS UTF8 ON").code()).isEqualTo(200);
            assertThat(c.command("ACCT x").code()).isIn(202, 230, 500, 502);
            assertThat(c.command("XYZZY plugh").code()).isIn(500, 502);
            Reply feat = c.command("FEAT");
            assertThat(feat.code()).isEqualTo(211);
            assertThat(feat.all()).contains("EPSV").contains("MLST").doesNotContain(" AUTH").doesNotContain("PBSZ").doesNotContain("PROT");
        }
    }

    @Test
    void utf8PathsArriveByteExact() throws Exception {
        String name = "\u00fcber-\u65e5\u672c.txt";
        byte[] content = "utf8 ok".getBytes(StandardCharsets.UTF_8);
        try (FtpTestClient c = login()) {
            c.command("OPTS UTF8 ON");
            DataMode.EPSV.upload(c, "STOR " + name, content);
            assertThat(Files.readAllBytes(root.resolve(name))).isEqualTo(content);
            assertThat(DataMode.PASV.download(c, "RETR " + name)).isEqualTo(content);
        }
    }

    @Test
    void proxyAnswersWhatItMustAnswerItself() throws Exception {
        try (FtpTestClient c = login()) {
            assertThat(c.command("RETR big.bin").code()).isEqualTo(425);      // no PASV/PORT first
            assertThat(c.command("AUTH TLS").code()).isEqualTo(500);          // TLS not enabled here (as the servers say)
            assertThat(c.command("PBSZ 0").code()).isEqualTo(503);
            assertThat(c.command("LPRT 4,4,127,0,0,1,2,4,1").code()).isEqualTo(500);
            assertThat(c.command("PORT 1,2,3").code()).isEqualTo(501);
            assertThat(c.command("EPRT |9|x|1|").code()).isEqualTo(501);
            assertThat(c.command("EPSV 3").code()).isEqualTo(522);
            assertThat(c.command("EPSV ALL").code()).isEqualTo(200);
            assertThat(c.command("PASV").code()).isEqualTo(503);
            assertThat(c.command("PORT 127,0,0,1,200,1").code()).isEqualTo(503);
            c.command("TYPE I");
            assertThat(Digests.sha256(DataMode.EPSV.download(c, "RETR big.bin"))).isEqualTo(Digests.sha256(big));
            assertThat(c.command("NOOP").code()).isEqualTo(200); // the reply stream is still in step
        }
    }

    @Test
    void pipelinedCommandsGetRepliesInOrder() throws Exception {
        try (FtpTestClient c = login()) {
            c.sendRaw("NOOP\r\nAUTH TLS\r\nSYST\r\nPBSZ 0\r\nPWD\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(c.readReply().code()).isEqualTo(200);
            assertThat(c.readReply().code()).isEqualTo(500);
            assertThat(c.readReply().code()).isEqualTo(215);
            assertThat(c.readReply().code()).isEqualTo(503);
            assertThat(c.readReply().code()).isEqualTo(257);
        }
    }

    @Test
    void aborDuringTransferKeepsTheSessionInStep() throws Exception {
        try (FtpTestClient c = login()) {
            c.command("TYPE I");
            try (DataMode.Prepared p = DataMode.PASV.prepare(c)) {
                c.send("RETR big.bin");
                assertThat(c.readReply().code()).isEqualTo(150);
                Socket s = p.open();
                s.getInputStream().readNBytes(1000);
                // IAC IP, IAC DM, ABOR: what classic clients send.
                c.sendRaw(new byte[] {(byte) 0xff, (byte) 0xf4, (byte) 0xff, (byte) 0xf2, 'A', 'B', 'O', 'R', '\r', '\n'});
                // Exactly one reply for RETR (426, or 226 if it had finished) and one for ABOR.
                assertThat(c.readReply().code()).isIn(226, 426, 451);
                assertThat(c.readReply().code()).isIn(225, 226);
            }
            assertThat(c.command("NOOP").code()).isEqualTo(200);
            assertThat(Digests.sha256(DataMode.EPSV.download(c, "RETR big.bin"))).isEqualTo(Digests.sha256(big));
        }
    }

    @Test
    void statAndNoopDuringATransferKeepTheSessionInStep() throws Exception {
        try (FtpTestClient c = login()) {
            c.command("TYPE I");
            try (DataMode.Prepared p = DataMode.EPSV.prepare(c)) {
                c.send("RETR big.bin");
                assertThat(c.readReply().code()).isEqualTo(150);
                Socket s = p.open();
                s.getInputStream().readNBytes(100_000);
                c.send("STAT");
                c.send("NOOP");
                byte[] rest = s.getInputStream().readAllBytes();
                assertThat(100_000 + rest.length).isEqualTo(big.length);
                List<Integer> codes = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    codes.add(c.readReply().code());
                }
                // STAT and NOOP answered in their order; the transfer's 226 before, between or after them.
                assertThat(codes).containsExactlyInAnyOrder(226, codes.contains(211) ? 211 : 213, 200);
                assertThat(codes.indexOf(200)).isGreaterThan(codes.indexOf(codes.contains(211) ? 211 : 213));
            }
            assertThat(c.command("PWD").code()).isEqualTo(257);
        }
    }

    @Test
    void fiftyConcurrentSessions() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(50);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                DataMode mode = DataMode.values()[i % 4];
                results.add(pool.submit(() -> {
                    try (FtpTestClient c = login()) {
                        c.command("TYPE I");
                        String sha = Digests.sha256(mode.download(c, "RETR big.bin"));
                        c.command("QUIT");
                        return sha;
                    }
                }));
            }
            for (Future<String> f : results) {
                assertThat(f.get(120, TimeUnit.SECONDS)).isEqualTo(Digests.sha256(big));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anonymousDemoStyleLogin() throws Exception {
        try (FtpTestClient c = FtpTestClient.login(h.proxyAddress(), "anonymous", "guest@example.com")) {
            assertThat(new String(DataMode.PASV.download(c, "NLST dir"), StandardCharsets.UTF_8)).contains("a.txt");
            assertThat(c.command("DELE big.bin").code()).isGreaterThanOrEqualTo(450); // read-only account
            assertThat(Files.exists(root.resolve("big.bin"))).isTrue();
        }
    }
}
