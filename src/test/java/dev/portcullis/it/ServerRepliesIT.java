package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.PortcullisServer;
import dev.portcullis.testing.FtpServers;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.Processes;
import dev.portcullis.testing.ProxyHarness;
import dev.portcullis.testing.VsftpdProcess;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The replies Portcullis gives itself, next to what vsftpd, ProFTPD and Pure-FTPd answer in the
 * same state: where the three servers agree on a code, the proxy must give that code too (never a
 * 425 before login that no server sends). Also through real clients: curl and ftplib see 530.
 * The table of what each said is written to target/server-replies.md.
 */
class ServerRepliesIT {

    /** Commands sent before any login. */
    private static final List<String> BEFORE_LOGIN = List.of("RETR data.bin", "STOR x.bin", "LIST", "NLST", "MLSD", "PASV", "EPSV",
            "PORT 127,0,0,1,200,1", "EPRT |1|127.0.0.1|51201|");
    /**
     * Commands sent after an anonymous login, with no PASV/PORT before them; "A; B" sends A, then B,
     * and compares B's reply.
     */
    private static final List<String> LOGGED_IN = List.of("LIST", "NLST", "MLSD", "EPSV ALL; PASV", "EPSV ALL; PORT 127,0,0,1,200,1",
            "PORT 1,2,3", "EPRT |9|x|1|", "EPSV 7", "LPSV", "AUTH TLS", "PBSZ 0", "PROT P", "CCC", "PORT 192,0,2,10,200,1");

    private record Server(String name, int port, AutoCloseable process) {
    }

    @Test
    void theProxysOwnRepliesMatchWhatTheServersAnswer() throws Exception {
        VsftpdProcess.assumeAvailable();
        FtpServers.assumeAvailable("usr/sbin/proftpd");
        List<Server> servers = new ArrayList<>();
        VsftpdProcess vs = VsftpdProcess.start(31500, 31519);
        servers.add(new Server("vsftpd", vs.port(), vs));
        FtpServers.Running pro = FtpServers.proftpd(31520, 31539);
        servers.add(new Server("ProFTPD", pro.port(), pro));
        FtpServers.Running pure = FtpServers.pureFtpd(31540, 31559);
        servers.add(new Server("Pure-FTPd", pure.port(), pure));
        Map<String, Map<String, Integer>> direct = new LinkedHashMap<>();
        Map<String, Map<String, Integer>> proxied = new LinkedHashMap<>();
        StringBuilder table = new StringBuilder("| state | command | server | direct | through Portcullis |\n|---|---|---|---|---|\n");
        try {
            for (Server s : servers) {
                try (PortcullisServer proxy = new PortcullisServer(ProxyHarness.baseConfig(s.port())).start()) {
                    InetSocketAddress viaProxy = proxy.boundAddresses().get(0);
                    InetSocketAddress toServer = new InetSocketAddress("127.0.0.1", s.port());
                    for (String state : List.of("before login", "logged in")) {
                        for (String command : state.equals("before login") ? BEFORE_LOGIN : LOGGED_IN) {
                            int d = codeOf(toServer, state, command);
                            int p = codeOf(viaProxy, state, command);
                            String key = state + " | " + command;
                            direct.computeIfAbsent(key, k -> new LinkedHashMap<>()).put(s.name(), d);
                            proxied.computeIfAbsent(key, k -> new LinkedHashMap<>()).put(s.name(), p);
                            table.append("| ").append(key).append(" | ").append(s.name()).append(" | ").append(d).append(" | ").append(p).append(" |\n");
                        }
                    }
                }
            }
        } finally {
            for (Server s : servers) {
                s.process().close();
            }
            Files.writeString(Path.of("target", "server-replies.md"), table.toString());
        }
        List<String> mismatches = new ArrayList<>();
        direct.forEach((key, byServer) -> {
            if (byServer.values().stream().distinct().count() == 1) {
                int agreed = byServer.values().iterator().next();
                proxied.get(key).forEach((server, code) -> {
                    if (code != agreed) {
                        mismatches.add(key + ": every server answers " + agreed + ", Portcullis in front of " + server + " " + code);
                    }
                });
            }
        });
        assertThat(mismatches).as(table.toString()).isEmpty();
        for (String command : BEFORE_LOGIN) {
            assertThat(direct.get("before login | " + command).values()).as(command).allMatch(code -> code == 530);
        }
    }

    /** The final reply code to {@code command} in {@code state} on a fresh control connection. */
    private static int codeOf(InetSocketAddress to, String state, String command) throws Exception {
        try (FtpTestClient c = state.equals("logged in") ? FtpTestClient.login(to, "anonymous", "guest") : FtpTestClient.connect(to)) {
            if (state.equals("before login")) {
                assertThat(c.readReply().code()).isEqualTo(220);
            }
            FtpTestClient.Reply r = null;
            for (String each : command.split("; ")) {
                c.send(each);
                r = c.readReply();
                while (r.code() < 200) {
                    r = c.readReply();
                }
            }
            return r.code();
        }
    }

    @Test
    void realClientsSeeTheLoginRefusalBeforeLogin() throws Exception {
        try (ProxyHarness h = ProxyHarness.start(Files.createTempDirectory("replies"), c -> c)) {
            try (FtpTestClient c = FtpTestClient.connect(h.proxyAddress())) {
                assertThat(c.readReply().code()).isEqualTo(220);
                FtpTestClient.Reply r = c.command("EPSV");
                assertThat(r.code()).isEqualTo(530);
                assertThat(r.last()).isEqualTo("530 Please login with USER and PASS.");
            }
            int port = h.proxyAddress().getPort();
            Processes.Result py = Processes.run(List.of("python3", "-c", String.join("\n",
                    "import ftplib",
                    "f = ftplib.FTP()",
                    "f.connect('127.0.0.1', " + port + ")",
                    "try:",
                    "    f.sendcmd('PASV')",
                    "except ftplib.error_perm as e:",
                    "    print(e)",
                    "f.close()")), 30);
            assertThat(py.out().strip()).as(py.stderr()).isEqualTo("530 Please login with USER and PASS.");
            // curl with a wrong password: the login fails with 530, not a data-connection error.
            Processes.Result curl = Processes.run(List.of("curl", "-sS", "--max-time", "20",
                    "ftp://alice:wrong@127.0.0.1:" + port + "/"), 30);
            assertThat(curl.exitCode()).as(curl.stderr()).isEqualTo(67); // CURLE_LOGIN_DENIED
            // lftp: the login is refused with the server's 530, and no listing is tried through a data port.
            if (Processes.available("lftp")) {
                Processes.Result lftp = Processes.run(List.of("lftp", "-u", "alice,wrong", "-e",
                        "set net:max-retries 1; set net:reconnect-interval-base 1; ls; bye", "ftp://127.0.0.1:" + port), 40);
                assertThat(lftp.exitCode()).isNotZero();
                assertThat(lftp.stderr() + lftp.out()).contains("530").doesNotContain("425");
            }
            h.assertQuiescent();
        }
    }
}
