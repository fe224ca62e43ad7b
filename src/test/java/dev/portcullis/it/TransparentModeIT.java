package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.testing.Digests;
import dev.portcullis.testing.NetnsLab;
import dev.portcullis.testing.Processes;
import dev.portcullis.testing.VsftpdProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Firewall-appliance mode in namespaces of our own: client → edge (nftables redirect or TPROXY,
 * Portcullis from the packaged jar) → server running vsftpd. The client connects to the server's
 * address and knows nothing of the proxy; curl in passive and active mode, byte-exact both ways.
 */
class TransparentModeIT {

    private static final Path JAR = Path.of("target", "portcullis.jar").toAbsolutePath();
    private static NetnsLab lab;
    private static Path dir;
    private static Path root;
    private static byte[] content;

    @BeforeAll
    static void setUp() throws Exception {
        NetnsLab.assumeAvailable();
        VsftpdProcess.assumeAvailable();
        lab = NetnsLab.create("pct");
        dir = Files.createTempDirectory(Path.of("/tmp"), "portcullis-transparent-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        root = Files.createDirectories(dir.resolve("root"));
        Path upload = Files.createDirectories(root.resolve("upload"));
        Files.setOwner(upload, upload.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("ftp"));
        content = Digests.randomBytes(3 * 1024 * 1024 + 17, 42);
        Files.write(root.resolve("f.bin"), content);
        lab.startVsftpd(dir, "vsftpd", root, 21, 31000, 31099);
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (lab != null) {
            lab.close();
        }
    }

    /** Starts Portcullis in the edge namespace from the jar; returns its process once it listens. */
    private static Process proxy(String yaml) throws Exception {
        Process p = lab.startPortcullis(Path.of(System.getProperty("java.home"), "bin", "java"), JAR, dir, yaml, "listening on");
        Path log = dir.resolve("portcullis.log");
        if (!p.isAlive() || !Files.readString(log).contains("listening on")) {
            throw new AssertionError("Portcullis did not start:\n" + (Files.exists(log) ? Files.readString(log) : "(no log)"));
        }
        return p;
    }

    /** curl in the client namespace to the server's own address: passive and active download, passive upload. */
    private static void curlThroughTheEdge(String tag) throws Exception {
        String url = "ftp://anonymous:x@" + NetnsLab.SERVER_IP + "/";
        Path got = dir.resolve("got-" + tag);
        Processes.Result passive = lab.run(lab.client, 60, "curl", "-sS", "--max-time", "30", "-o", got + "-pasv", url + "f.bin");
        assertThat(passive.exitCode()).as("passive: " + passive.stderr() + log()).isZero();
        assertThat(Digests.sha256(got.resolveSibling(got.getFileName() + "-pasv"))).isEqualTo(Digests.sha256(content));
        Processes.Result active = lab.run(lab.client, 60, "curl", "-sS", "--max-time", "30", "-P", NetnsLab.CLIENT_IP,
                "-o", got + "-port", url + "f.bin");
        assertThat(active.exitCode()).as("active: " + active.stderr() + log()).isZero();
        assertThat(Digests.sha256(got.resolveSibling(got.getFileName() + "-port"))).isEqualTo(Digests.sha256(content));
        Processes.Result up = lab.run(lab.client, 60, "curl", "-sS", "--max-time", "30", "-T", root.resolve("f.bin").toString(),
                url + "upload/" + tag + ".bin");
        assertThat(up.exitCode()).as("upload: " + up.stderr() + log()).isZero();
        assertThat(Digests.sha256(root.resolve("upload").resolve(tag + ".bin"))).isEqualTo(Digests.sha256(content));
    }

    private static String log() throws Exception {
        Path p = dir.resolve("portcullis.log");
        return Files.exists(p) ? "\n--- portcullis log ---\n" + Files.readString(p) : "";
    }

    private static String firstLineFrom(String host, int port) throws Exception {
        return lab.run(lab.client, 15, "timeout", "10", "bash", "-c",
                "exec 3<>/dev/tcp/" + host + "/" + port + "; head -n1 <&3").out().strip();
    }

    @Test
    void redirectModeRelaysToTheOriginalDestination() throws Exception {
        lab.nft(lab.edge, """
                table ip portcullis_test {
                  chain prerouting {
                    type nat hook prerouting priority dstnat; policy accept;
                    iifname "e0" tcp dport 21 redirect to :2121
                    iifname "e0" tcp dport 30000-30099 redirect
                  }
                }
                """);
        Process p = proxy("""
                listen: ["0.0.0.0:2121"]
                passive-ports: 30000-30099
                admin: {listen: "off"}
                transparent:
                  mode: redirect
                  allow-destinations: ["203.0.113.2/32"]
                """);
        try {
            curlThroughTheEdge("redirect");
            // A destination outside the allow-list gets 421 (203.0.113.3 does not even exist).
            assertThat(firstLineFrom("203.0.113.3", 21)).startsWith("421").contains("not an allowed FTP server");
            assertThat(Files.readString(dir.resolve("portcullis.log"))).contains("transparent: original destination 203.0.113.2:21");
        } finally {
            lab.stop(p);
            lab.in(lab.edge, "nft", "delete", "table", "ip", "portcullis_test");
        }
    }

    @Test
    void tproxyModeWithTheClientsOwnAddressTowardsTheServer() throws Exception {
        lab.in(lab.edge, "ip", "rule", "add", "fwmark", "1", "lookup", "100");
        lab.in(lab.edge, "ip", "route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "100");
        // Control and passive ports from the client side go to the proxy's transparent sockets;
        // packets of its sockets (including the server's answers to the spoofed client address) too.
        lab.nft(lab.edge, """
                table ip portcullis_test {
                  chain prerouting {
                    type filter hook prerouting priority mangle; policy accept;
                    meta l4proto tcp socket transparent 1 meta mark set 1 accept
                    iifname "e0" tcp dport 21 tproxy to :2121 meta mark set 1 accept
                    iifname "e0" tcp dport 30000-30099 tproxy to 198.51.100.1 meta mark set 1 accept
                  }
                }
                """);
        Process p = proxy("""
                listen: ["0.0.0.0:2121"]
                passive-ports: 30000-30099
                admin: {listen: "off"}
                transparent:
                  mode: tproxy
                  allow-destinations: ["203.0.113.0/24"]
                  spoof-client-address: true
                """);
        try {
            curlThroughTheEdge("tproxy");
            // The server saw the client's address, not the edge's.
            String vsftpdLog = Files.readString(dir.resolve("vsftpd.log"));
            // (The set-up's own readiness probe connected from the edge; no login or transfer did.)
            assertThat(vsftpdLog).contains("OK LOGIN: Client \"" + NetnsLab.CLIENT_IP + "\"")
                    .contains("OK DOWNLOAD: Client \"" + NetnsLab.CLIENT_IP + "\"").contains("OK UPLOAD: Client \"" + NetnsLab.CLIENT_IP + "\"")
                    .doesNotContain("OK LOGIN: Client \"" + NetnsLab.EDGE_SERVER_SIDE + "\"");
        } finally {
            lab.stop(p);
            lab.in(lab.edge, "nft", "delete", "table", "ip", "portcullis_test");
            lab.run(lab.edge, 10, "ip", "rule", "del", "fwmark", "1", "lookup", "100");
            lab.run(lab.edge, 10, "ip", "route", "del", "local", "0.0.0.0/0", "dev", "lo", "table", "100");
        }
    }
}
