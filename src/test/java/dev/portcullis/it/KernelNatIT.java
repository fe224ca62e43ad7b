package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.config.KernelNatConfig;
import dev.portcullis.data.kernel.KernelNat;
import dev.portcullis.data.kernel.NatMapping;
import dev.portcullis.testing.Digests;
import dev.portcullis.testing.Jdks;
import dev.portcullis.testing.NetnsLab;
import dev.portcullis.testing.Processes;
import dev.portcullis.testing.ProxyHarness;
import dev.portcullis.testing.VsftpdProcess;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * data.kernel-nat in namespaces of our own: client → edge (Portcullis from the packaged jar, which
 * adds one-shot DNAT/SNAT mappings to an nftables table of its own) → server running vsftpd, which
 * insists that data connections come from the control connection's address (the SNAT half).
 * curl and Python ftplib in the client namespace; every file byte-exact. Mappings go by netlink on a
 * JDK 22+ and through an nft process on older ones: the main test runs both where both JDKs exist.
 */
class KernelNatIT {

    private static final Path JAR = Path.of("target", "portcullis.jar").toAbsolutePath();
    private static final String TABLE = "portcullis_it";
    private static final String URL = "ftp://anonymous:x@" + NetnsLab.EDGE_CLIENT_SIDE + ":2121/";
    private static NetnsLab lab;
    private static Path dir;
    private static Path root;
    private static byte[] content;

    @BeforeAll
    static void setUp() throws Exception {
        NetnsLab.assumeAvailable();
        VsftpdProcess.assumeAvailable();
        lab = NetnsLab.create("pck");
        // A second address in the client's namespace, for the passive-port thief.
        lab.in(lab.client, "ip", "addr", "add", "198.51.100.3/24", "dev", "c0");
        dir = Files.createTempDirectory(Path.of("/tmp"), "portcullis-kernel-nat-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        root = Files.createDirectories(dir.resolve("root"));
        Path upload = Files.createDirectories(root.resolve("upload"));
        Files.setOwner(upload, upload.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("ftp"));
        content = Digests.randomBytes(3 * 1024 * 1024 + 17, 7);
        Files.write(root.resolve("f.bin"), content);
        lab.startVsftpd(dir, "vsftpd", root, 21, 31000, 31099);
        // A second vsftpd with only six passive ports: concurrent sessions get the same backend port
        // one after another (vsftpd frees it once it has accepted), which mappings must survive.
        lab.startVsftpd(dir, "vsftpd-narrow", root, 2100, 31100, 31105);
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (lab != null) {
            lab.close();
        }
    }

    private static String config(String extra) {
        return config(21, extra);
    }

    private static String config(int backendPort, String extra) {
        return "listen: " + NetnsLab.EDGE_CLIENT_SIDE + ":2121\n"
                + "backend: " + NetnsLab.SERVER_IP + ":" + backendPort + "\n"
                + "passive-ports: 30000-30099\n"
                + "admin: {listen: \"127.0.0.1:9181\"}\n"
                + "timeouts: {backend-reply: 2s}\n"
                + "data: {kernel-nat: true, kernel-nat-table: " + TABLE + extra + "}\n";
    }

    /** The test JVM when it is older than 22 (mappings through the nft process). */
    private static Path javaBefore22() {
        Assumptions.assumeTrue(Runtime.version().feature() < 22, "the test JVM is 22 or later: the nft process path is not used");
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    /** A JDK 22+ (mappings by netlink). */
    private static Path java22() throws Exception {
        java.util.Optional<Path> java = Jdks.javaAtLeast22();
        Assumptions.assumeTrue(java.isPresent(), "no JDK 22 or later here: the netlink path is not tested");
        return java.get();
    }

    /** Netlink where a JDK 22+ exists, else the test JVM. */
    private static Path newestJava() throws Exception {
        java.util.Optional<Path> java = Jdks.javaAtLeast22();
        return java.orElse(Path.of(System.getProperty("java.home"), "bin", "java"));
    }

    private static Process proxy(String yaml) throws Exception {
        return proxy(newestJava(), yaml);
    }

    /** Starts Portcullis in the edge namespace from the jar; returns its process once it listens (or has exited). */
    private static Process proxy(Path java, String yaml) throws Exception {
        return lab.startPortcullis(java, JAR, dir, yaml, "admin listening on");
    }

    private static String log() throws Exception {
        Path p = dir.resolve("portcullis.log");
        return Files.exists(p) ? Files.readString(p) : "(no log)";
    }

    private static Processes.Result curl(String... args) throws Exception {
        String[] full = new String[args.length + 5];
        full[0] = "curl";
        full[1] = "-sS";
        full[2] = "--max-time";
        full[3] = "30";
        full[4] = "--ftp-pasv";
        System.arraycopy(args, 0, full, 5, args.length);
        return lab.run(lab.client, 60, full);
    }

    private static String metrics() throws Exception {
        return lab.run(lab.edge, 15, "curl", "-sS", "http://127.0.0.1:9181/metrics").out();
    }

    private static String mappings() throws Exception {
        return lab.run(lab.edge, 15, "nft", "list", "map", "ip", TABLE, "data_dnat").out();
    }

    @ParameterizedTest
    @ValueSource(strings = {"netlink", "nft process"})
    void plainPassiveDataGoesThroughTheKernelAndEveryMappingIsRemoved(String how) throws Exception {
        Process p = proxy(how.equals("netlink") ? java22() : javaBefore22(), config(""));
        try {
            assertThat(p.isAlive()).as(log()).isTrue();
            assertThat(log()).contains("data path: kernel NAT (nftables table ip " + TABLE + ", mappings "
                    + (how.equals("netlink") ? "by netlink)" : "through /usr/sbin/nft -i"));
            Path epsv = dir.resolve("got-epsv-" + how.replace(' ', '-'));
            Processes.Result r = curl("-o", epsv.toString(), URL + "f.bin");
            assertThat(r.exitCode()).as(r.stderr() + log()).isZero();
            assertThat(Digests.sha256(epsv)).isEqualTo(Digests.sha256(content));
            Path pasv = dir.resolve("got-pasv-" + how.replace(' ', '-'));
            r = curl("--disable-epsv", "-o", pasv.toString(), URL + "f.bin");
            assertThat(r.exitCode()).as(r.stderr() + log()).isZero();
            assertThat(Digests.sha256(pasv)).isEqualTo(Digests.sha256(content));
            String tag = how.replace(' ', '-');
            r = curl("-T", root.resolve("f.bin").toString(), URL + "upload/k-" + tag + ".bin");
            assertThat(r.exitCode()).as(r.stderr() + log()).isZero();
            assertThat(Digests.sha256(root.resolve("upload/k-" + tag + ".bin"))).isEqualTo(Digests.sha256(content));
            // An upload slower than timeouts.backend-reply (2 s): the kernel moves the data unseen, and the
            // session waits for the 226 instead of taking the backend's silence for a hang.
            r = curl("--limit-rate", "1M", "-T", root.resolve("f.bin").toString(), URL + "upload/slow-" + tag + ".bin");
            assertThat(r.exitCode()).as(r.stderr() + log()).isZero();
            assertThat(Digests.sha256(root.resolve("upload/slow-" + tag + ".bin"))).isEqualTo(Digests.sha256(content));

            // lftp (EPSV, then a listing and an upload in PASV), unchanged.
            Path viaLftp = dir.resolve("got-lftp-" + tag);
            r = lab.run(lab.client, 60, "lftp", "-u", "anonymous,guest", "-e", "set cmd:fail-exit yes; set net:max-retries 1; "
                    + "set net:timeout 15; set ftp:ssl-allow no; set ftp:passive-mode on; set ftp:prefer-epsv yes; get f.bin -o "
                    + viaLftp + "; set ftp:prefer-epsv no; cls upload/; put " + root.resolve("f.bin") + " -o upload/lftp-" + tag
                    + ".bin; quit", "ftp://" + NetnsLab.EDGE_CLIENT_SIDE + ":2121");
            assertThat(r.exitCode()).as(r.stderr() + r.out() + log()).isZero();
            assertThat(r.out()).contains("upload/k-" + tag + ".bin");
            assertThat(Digests.sha256(viaLftp)).isEqualTo(Digests.sha256(content));
            assertThat(Digests.sha256(root.resolve("upload/lftp-" + tag + ".bin"))).isEqualTo(Digests.sha256(content));

            // Log lines are written in batches: wait for the last transfer's line.
            ProxyHarness.eventually(Duration.ofSeconds(5), () -> {
                String log = log();
                assertThat(log.lines().filter(l -> l.contains(" transfer ") && l.contains("relay=kernel result=226")).count())
                        .as(log).isEqualTo(7);
            });
            String m = metrics();
            assertThat(m).contains("portcullis_data_kernel_nat_requests_total{result=\"mapped\"} 7.0")
                    .contains("portcullis_data_kernel_nat_requests_total{result=\"failed\"} 0.0")
                    .contains("portcullis_data_kernel_nat_mappings 0.0")
                    .contains("portcullis_data_zero_copy_relays_total 0.0");
            assertThat(mappings()).doesNotContain("elements");

            // Active mode is the proxy's to relay (the client's address is not the kernel's to guess).
            Path active = dir.resolve("got-active-" + how.replace(' ', '-'));
            r = lab.run(lab.client, 60, "curl", "-sS", "--max-time", "30", "-P", NetnsLab.CLIENT_IP, "-o", active.toString(), URL + "f.bin");
            assertThat(r.exitCode()).as(r.stderr() + log()).isZero();
            assertThat(Digests.sha256(active)).isEqualTo(Digests.sha256(content));
            ProxyHarness.eventually(Duration.ofSeconds(5), () -> assertThat(log())
                    .containsPattern("transfer RETR f.bin bytes=" + content.length + " .*mode=active relay=(splice|copy) result=226"));
        } finally {
            lab.stop(p);
        }
        // The table goes with the proxy.
        assertThat(lab.run(lab.edge, 15, "nft", "list", "tables").out()).doesNotContain(TABLE);
    }

    @Test
    void concurrentSessionsOnTheSameBackendPortsKeepTheirMappings() throws Exception {
        Process p = proxy(config(2100, ""));
        try {
            assertThat(p.isAlive()).as(log()).isTrue();
            // 3 clients at once (vsftpd ends a session when no port of its range will bind, and ports
            // linger in TIME_WAIT), 20 downloads each: mappings come and go while others wait for their client.
            String script = """
                    import ftplib, hashlib, sys, threading
                    want, results = sys.argv[1], []
                    def work():
                        try:
                            f = ftplib.FTP(); f.connect("%s", 2121, timeout=20); f.login()
                            for _ in range(20):
                                h = hashlib.sha256(); f.retrbinary("RETR f.bin", h.update); results.append(h.hexdigest() == want)
                            f.quit()
                        except Exception as e:
                            print("error", e); results.append(False)
                    ts = [threading.Thread(target=work) for _ in range(3)]
                    [t.start() for t in ts]; [t.join() for t in ts]
                    print("ok", sum(results), "of", len(results))
                    """.formatted(NetnsLab.EDGE_CLIENT_SIDE);
            Processes.Result r = lab.run(lab.client, 120, "python3", "-c", script, Digests.sha256(content));
            assertThat(r.out()).as(r.stderr() + log()).contains("ok 60 of 60");
            ProxyHarness.eventually(Duration.ofSeconds(5),
                    () -> assertThat(log().lines().filter(l -> l.contains("relay=kernel result=226")).count()).isEqualTo(60));
            assertThat(mappings()).doesNotContain("elements");
        } finally {
            lab.stop(p);
        }
    }

    @Test
    void mappingsThatShareABackendPortAreRemovedOneByOne() throws Exception {
        // A server reuses a passive port once it has accepted on it: two sessions' mappings may name the
        // same backend port at once, and removing the first must leave the second. Driven in-process
        // through the nft process, run in the edge namespace by a wrapper.
        Path wrapper = dir.resolve("nft-in-edge");
        Files.writeString(wrapper, "#!/bin/sh\nexec ip netns exec " + lab.edge + " nft \"$@\"\n");
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
        String table = TABLE + "_shared";
        Inet4Address client = (Inet4Address) InetAddress.getByName(NetnsLab.CLIENT_IP);
        Inet4Address edge = (Inet4Address) InetAddress.getByName(NetnsLab.EDGE_CLIENT_SIDE);
        Inet4Address server = (Inet4Address) InetAddress.getByName(NetnsLab.SERVER_IP);
        Inet4Address source = (Inet4Address) InetAddress.getByName(NetnsLab.EDGE_SERVER_SIDE);
        NatMapping first = new NatMapping(client, edge, 30001, server, 31234, source);
        NatMapping second = new NatMapping(client, edge, 30002, server, 31234, source);
        try (KernelNat nat = KernelNat.start(new KernelNatConfig(true, wrapper, table), Duration.ofSeconds(60))) {
            nat.map(first).get(10, TimeUnit.SECONDS);
            nat.map(second).get(10, TimeUnit.SECONDS);
            nat.unmap(first);
            // Removal is fire-and-forget: wait for nft to have applied it.
            dev.portcullis.testing.ProxyHarness.eventually(Duration.ofSeconds(10), () -> {
                assertThat(lab.run(lab.edge, 15, "nft", "list", "map", "ip", table, "data_dnat").out())
                        .doesNotContain(" . 30001 ").contains(" . 30002 ");
                assertThat(lab.run(lab.edge, 15, "nft", "list", "map", "ip", table, "data_snat").out())
                        .doesNotContain(" . 30001 ").contains(" . 30002 ");
            });
            assertThat(nat.activeMappings()).isEqualTo(1);
        }
        assertThat(lab.run(lab.edge, 15, "nft", "list", "tables").out()).doesNotContain(table);
    }

    @Test
    void aPassivePortThiefFromAnotherAddressGetsNothingAndTheTransferGoesOn() throws Exception {
        Process p = proxy(config(""));
        try {
            // ftplib from 198.51.100.2 asks for EPSV; a thief on 198.51.100.3 connects to that port first.
            String script = """
                    import ftplib, socket, hashlib, sys
                    f = ftplib.FTP()
                    f.connect("%s", 2121, timeout=20, source_address=("%s", 0))
                    f.login()
                    f.voidcmd("TYPE I")
                    port = int(f.sendcmd("EPSV").split("|")[3])
                    t = socket.create_connection(("%s", port), timeout=5, source_address=("198.51.100.3", 0))
                    stolen = b""
                    try:
                        while True:
                            b = t.recv(65536)
                            if not b:
                                break
                            stolen += b
                    except OSError:
                        pass
                    t.close()
                    d = socket.create_connection(("%s", port), timeout=20, source_address=("%s", 0))
                    f.sendcmd("RETR f.bin")
                    h = hashlib.sha256()
                    while True:
                        b = d.recv(65536)
                        if not b:
                            break
                        h.update(b)
                    d.close()
                    print(f.voidresp())
                    print("stolen", len(stolen))
                    print("sha256", h.hexdigest())
                    f.quit()
                    """.formatted(NetnsLab.EDGE_CLIENT_SIDE, NetnsLab.CLIENT_IP, NetnsLab.EDGE_CLIENT_SIDE,
                    NetnsLab.EDGE_CLIENT_SIDE, NetnsLab.CLIENT_IP);
            Processes.Result r = lab.run(lab.client, 60, "python3", "-c", script);
            assertThat(r.exitCode()).as(r.stderr() + log()).isZero();
            assertThat(r.out()).contains("226").contains("stolen 0").contains("sha256 " + Digests.sha256(content));
            ProxyHarness.eventually(Duration.ofSeconds(5),
                    () -> assertThat(log()).contains("relay=kernel result=226").containsIgnoringCase("198.51.100.3"));
        } finally {
            lab.stop(p);
        }
    }

    @Test
    void tlsDataIsRelayedAndProtectionChangedAfterEpsvIsRefused() throws Exception {
        dev.portcullis.testing.TestCertificates.Files cert = dev.portcullis.testing.TestCertificates.create(dir, "edge", "ec");
        Process p = proxy(config("") + "tls: {cert: " + cert.cert() + ", key: " + cert.key()
                + ", policy: required, data-protection: any}\n");
        try {
            assertThat(p.isAlive()).as(log()).isTrue();
            String script = """
                    import ftplib, hashlib, ssl
                    ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
                    f = ftplib.FTP_TLS(context=ctx); f.connect("%s", 2121, timeout=20); f.login()
                    f.voidcmd("TYPE I")
                    f.prot_p()
                    h = hashlib.sha256(); f.retrbinary("RETR f.bin", h.update); print("tls", h.hexdigest())
                    f.prot_c()
                    h = hashlib.sha256(); f.retrbinary("RETR f.bin", h.update); print("plain", h.hexdigest())
                    f.sendcmd("EPSV")
                    f.sendcmd("PROT P")
                    try:
                        f.sendcmd("RETR f.bin"); print("RETR accepted")
                    except ftplib.error_temp as e:
                        print("refused", e)
                    f.quit()
                    """.formatted(NetnsLab.EDGE_CLIENT_SIDE);
            Processes.Result r = lab.run(lab.client, 60, "python3", "-c", script);
            assertThat(r.exitCode()).as(r.stderr() + log()).isZero();
            String sha = Digests.sha256(content);
            assertThat(r.out()).contains("tls " + sha).contains("plain " + sha)
                    .contains("refused 425 Data protection changed after PASV/EPSV; send PASV or EPSV again.");
            // TLS data through the relay; the plain transfer of the same session through the kernel.
            ProxyHarness.eventually(Duration.ofSeconds(5), () -> {
                assertThat(log()).containsPattern("transfer RETR f.bin bytes=" + content.length + " .*relay=copy result=226")
                        .contains("transfer RETR f.bin bytes=- ms=");
                assertThat(log().lines().filter(l -> l.contains("relay=kernel result=226")).count()).isEqualTo(1);
            });
            assertThat(mappings()).doesNotContain("elements");
        } finally {
            lab.stop(p);
        }
    }

    @Test
    void whenNftGoesAwayTransfersAreRelayedByTheProxy() throws Exception {
        // An nft that makes the table but will not take commands: every mapping fails, the proxy relays.
        Path once = dir.resolve("nft-once");
        Files.writeString(once, "#!/bin/sh\nif [ \"$1\" = -e ]; then exit 3; fi\nexec nft \"$@\"\n");
        Files.setPosixFilePermissions(once, PosixFilePermissions.fromString("rwxr-xr-x"));
        Process p = proxy(javaBefore22(), config(", kernel-nat-nft: " + once));
        try {
            assertThat(p.isAlive()).as(log()).isTrue();
            Path got = dir.resolve("got-relayed");
            Processes.Result r = curl("-o", got.toString(), URL + "f.bin");
            assertThat(r.exitCode()).as(r.stderr() + log()).isZero();
            assertThat(Digests.sha256(got)).isEqualTo(Digests.sha256(content));
            ProxyHarness.eventually(Duration.ofSeconds(5), () -> assertThat(log()).contains("kernel NAT: nft exited")
                    .containsPattern("transfer RETR f.bin bytes=" + content.length + " .*mode=passive relay=(splice|copy) result=226"));
            // nft is known to be gone before the transfer: no mapping is even asked for.
            assertThat(metrics()).contains("portcullis_data_kernel_nat_requests_total{result=\"mapped\"} 0.0");
        } finally {
            lab.stop(p);
        }
    }

    @Test
    void aProxyThatCannotMakeItsTableRefusesToStart() throws Exception {
        Process p = proxy(config(", kernel-nat-nft: /bin/false"));
        assertThat(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(log()).isEqualTo(2);
        assertThat(log()).contains("config error: data.kernel-nat: 'true' (nft /bin/false could not create the table ip " + TABLE)
                .doesNotContain("listening on");
    }
}
