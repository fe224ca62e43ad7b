package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.PortcullisServer;
import dev.portcullis.config.CommandRules;
import dev.portcullis.config.PortRange;
import dev.portcullis.metrics.MeterNames;
import dev.portcullis.testing.Digests;
import dev.portcullis.testing.FtpServers;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.FtpTestClient.Reply;
import dev.portcullis.testing.ProxyHarness;
import dev.portcullis.testing.VsftpdProcess;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Control-stream spellings from the adversarial review (issue 28) against real servers: verbs
 * separated by tabs and other whitespace, Telnet sequences inside the verb, a lone CR, and the
 * BSD-style ABOR whose Telnet DM travels as TCP urgent data. Each reply is read with a socket
 * timeout far below the proxy's 60 s backend-reply timeout, so a relayed line the server ignores
 * shows as a failure here, not as a slow pass.
 */
class HostileControlIT {

    private static final int PROMPT_MILLIS = 5_000;

    private static byte[] latin1(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static PortcullisServer proxyTo(int backendPort, CommandRules rules, int pasvLow) throws Exception {
        return new PortcullisServer(ProxyHarness.baseConfig(backendPort)
                .withPassivePorts(new PortRange(pasvLow, pasvLow + 19))
                .withCommands(rules)).start();
    }

    private static FtpTestClient anonymous(PortcullisServer proxy) throws Exception {
        FtpTestClient c = FtpTestClient.login(proxy.boundAddresses().get(0), "anonymous", "guest@example.com");
        c.socket().setSoTimeout(PROMPT_MILLIS);
        return c;
    }

    /** Item 4: no spelling of a denied verb reaches ProFTPD, which splits verbs on any whitespace. */
    @Test
    void deniedVerbsInEverySpellingNeverReachProftpd() throws Exception {
        try (FtpServers.Running pro = FtpServers.proftpd(33720, 33739);
             PortcullisServer proxy = proxyTo(pro.port(), new CommandRules(List.of("DELE", "SITE"), false), 33740)) {
            Path victim = pro.disk().resolve("upload/victim.txt");
            Files.writeString(victim, "keep me");
            Files.setPosixFilePermissions(victim, PosixFilePermissions.fromString("rw-r--r--"));
            Files.setOwner(victim, victim.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("ftp"));
            String path = pro.prefix() + "upload/victim.txt";
            List<byte[]> spellings = List.of(
                    latin1("DELE\t" + path + "\r\n"),
                    latin1("dele\t" + path + "\r\n"),
                    latin1("DELE\u000b" + path + "\r\n"),
                    latin1("DELE\f" + path + "\r\n"),
                    latin1(" DELE " + path + "\r\n"),
                    latin1("DE\u00ff\u00ff\u00f4LE " + path + "\r\n"), // IAC IAC, then 0xF4: ProFTPD dropped both 0xFF and 0xF4
                    latin1("DE\u00ff\u00f4LE " + path + "\r\n"), // IAC IP inside the verb
                    latin1("DE\u00ffLE " + path + "\r\n"), // a lone IAC before a non-command byte
                    latin1("SITE\tCHMOD 777 " + path + "\r\n"),
                    latin1("SITE CHMOD\t777 " + path + "\r\n"),
                    latin1("site\u00ff\u00f1\tchmod 777 " + path + "\r\n"));
            try (FtpTestClient c = anonymous(proxy)) {
                for (byte[] spelling : spellings) {
                    c.sendRaw(spelling);
                    Reply r = c.readReply();
                    assertThat(r.code()).as(new String(spelling, StandardCharsets.ISO_8859_1)).isBetween(500, 599);
                }
                assertThat(c.command("NOOP").code()).isEqualTo(200);
            }
            assertThat(Files.exists(victim)).as("DELE reached ProFTPD").isTrue();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(victim))).as("SITE CHMOD reached ProFTPD").isEqualTo("rw-r--r--");
        }
    }

    /** Item 4: deny-anonymous holds whatever separates USER from the name. */
    @Test
    void anonymousLoginRefusedInEverySpellingThroughProftpd() throws Exception {
        try (FtpServers.Running pro = FtpServers.proftpd(33760, 33779);
             PortcullisServer proxy = proxyTo(pro.port(), new CommandRules(List.of(), true), 33780)) {
            for (String spelling : List.of("USER\tanonymous", "user\tftp", "USER\u000banonymous", "USER \tanonymous", "USER anonymous\t",
                    " USER anonymous", "US\u00ff\u00f1ER anonymous")) {
                try (FtpTestClient c = FtpTestClient.connect(proxy.boundAddresses().get(0))) {
                    c.socket().setSoTimeout(PROMPT_MILLIS);
                    assertThat(c.readReply().code()).isEqualTo(220);
                    c.sendRaw(latin1(spelling + "\r\n"));
                    Reply user = c.readReply();
                    assertThat(user.code()).as(spelling).isBetween(500, 599);
                    Reply pass = c.command("PASS guest@example.com");
                    assertThat(pass.code()).as(spelling + ", then PASS").isNotEqualTo(230);
                }
            }
        }
    }

    /** Item 4: PORT and RETR spelled with a tab go through the proxy's own data path (it counts the transfer). */
    @Test
    void tabSeparatedPortAndRetrUseTheProxysDataPath() throws Exception {
        try (FtpServers.Running pro = FtpServers.proftpd(33800, 33819);
             PortcullisServer proxy = proxyTo(pro.port(), new CommandRules(List.of(), false), 33820)) {
            byte[] content = Digests.randomBytes(70_000, 28);
            Files.write(pro.disk().resolve("tab.bin"), content);
            try (FtpTestClient c = anonymous(proxy); ServerSocket active = c.activeListener()) {
                assertThat(c.command("TYPE I").code()).isEqualTo(200);
                c.sendRaw(latin1("PORT\t" + FtpTestClient.portArgument(active) + "\r\n"));
                assertThat(c.readReply().code()).isEqualTo(200);
                c.sendRaw(latin1("RETR\t" + pro.prefix() + "tab.bin\r\n"));
                assertThat(c.readReply().code()).isEqualTo(150);
                byte[] got;
                try (Socket data = active.accept()) {
                    got = data.getInputStream().readAllBytes();
                }
                assertThat(c.readReply().code()).isEqualTo(226);
                assertThat(got).isEqualTo(content);
            }
            ProxyHarness.awaitTrue(java.time.Duration.ofSeconds(5), () -> proxy.metrics().count(MeterNames.TRANSFERS) >= 1);
        }
    }

    /** Item 8: a line that is a lone CR gets a prompt 500 from the proxy; vsftpd would ignore it and the session would hang. */
    @Test
    void aLoneCrLineIsAnsweredAtOnceAndNotRelayed() throws Exception {
        VsftpdProcess.assumeAvailable();
        try (VsftpdProcess vs = VsftpdProcess.start(33840, 33859);
             PortcullisServer proxy = proxyTo(vs.port(), new CommandRules(CommandRules.DEFAULT_DENIED, false), 33860)) {
            // One session each: a refused line counts towards limits.max-bad-lines (3 by default).
            for (String line : List.of("\r\r\n", "NOOP\rQUIT\r\n", "\r\n", "\t\r\n")) {
                try (FtpTestClient c = anonymous(proxy)) {
                    c.sendRaw(latin1(line));
                    Reply r = c.readReply(); // SocketTimeoutException after 5 s if the line went to vsftpd
                    assertThat(r.code()).as(line.replace("\r", "\\r").replace("\n", "\\n")).isEqualTo(500);
                    assertThat(c.command("NOOP").code()).isEqualTo(200);
                }
            }
        }
    }

    /**
     * Item 9: BSD ftp, tnftp and macOS abort with IAC IP, then IAC DM as TCP urgent data, then ABOR.
     * Without SO_OOBINLINE Linux takes the urgent byte (the DM) out of the stream: the proxy reads
     * IAC IP IAC 'A' 'B' 'O' 'R'. The transfer is held by a client that does not read its data, so
     * only a recognised ABOR ends it.
     */
    @Test
    void bsdStyleAbortWithUrgentDataEndsARunningRetrAtOnce() throws Exception {
        VsftpdProcess.assumeAvailable();
        try (VsftpdProcess vs = VsftpdProcess.start(33880, 33899, List.of("async_abor_enable=YES"));
             PortcullisServer proxy = proxyTo(vs.port(), new CommandRules(CommandRules.DEFAULT_DENIED, false), 33900)) {
            Files.write(vs.root().resolve("big.bin"), new byte[64 * 1024 * 1024]);
            try (FtpTestClient c = anonymous(proxy)) {
                assertThat(c.command("TYPE I").code()).isEqualTo(200);
                InetSocketAddress pasv = c.pasv();
                try (Socket data = new Socket(pasv.getAddress(), pasv.getPort())) {
                    c.send("RETR big.bin");
                    assertThat(c.readReply().code()).isEqualTo(150);
                    InputStream in = data.getInputStream();
                    in.readNBytes(64 * 1024); // the transfer runs, then stalls on this client's full window
                    c.sendRaw(new byte[] {(byte) 0xff, (byte) 0xf4, (byte) 0xff});
                    c.socket().sendUrgentData(0xf2);
                    c.sendRaw(latin1("ABOR\r\n"));
                    Reply first = c.readReply();
                    assertThat(first.code()).isIn(225, 226, 426);
                    if (first.code() == 426) {
                        assertThat(c.readReply().code()).isIn(225, 226);
                    }
                }
                assertThat(c.command("NOOP").code()).isEqualTo(200);
                assertThat(c.command("SIZE big.bin").last()).contains(String.valueOf(64 * 1024 * 1024));
            }
        }
    }
}
