package dev.portcullis.testing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * Three network namespaces of our own: client (198.51.100.2) → edge (198.51.100.1 | 203.0.113.1,
 * forwarding) → server (203.0.113.2), joined by veth pairs; documentation ranges only. Processes
 * started in them are stopped by their own handles; {@link #close()} deletes the namespaces.
 */
public final class NetnsLab implements AutoCloseable {

    public static final String CLIENT_IP = "198.51.100.2";
    public static final String EDGE_CLIENT_SIDE = "198.51.100.1";
    public static final String EDGE_SERVER_SIDE = "203.0.113.1";
    public static final String SERVER_IP = "203.0.113.2";

    public final String client;
    public final String edge;
    public final String server;
    private final List<Process> processes = new ArrayList<>();

    private NetnsLab(String prefix) {
        this.client = prefix + "-c";
        this.edge = prefix + "-e";
        this.server = prefix + "-s";
    }

    /** Skips where namespaces cannot be made (not root, no iproute2/nft), except under CI, where that fails. */
    public static void assumeAvailable() throws Exception {
        boolean ok = "root".equals(System.getProperty("user.name")) && Processes.available("ip") && Processes.available("nft");
        if (ok) {
            Processes.Result probe = Processes.run(List.of("ip", "netns", "add", "pcl-probe"), 10);
            ok = probe.exitCode() == 0;
            Processes.run(List.of("ip", "netns", "del", "pcl-probe"), 10);
        }
        if (!ok && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("network namespaces must work under CI (root, iproute2, nftables)");
        }
        Assumptions.assumeTrue(ok, "cannot create network namespaces here (needs root, iproute2 and nftables): skipping");
    }

    public static NetnsLab create(String prefix) throws Exception {
        NetnsLab lab = new NetnsLab(prefix);
        lab.deleteNamespaces(); // left by an interrupted run of ours
        try {
            for (String ns : List.of(lab.client, lab.edge, lab.server)) {
                must("ip", "netns", "add", ns);
                lab.in(ns, "ip", "link", "set", "lo", "up");
            }
            must("ip", "link", "add", "c0", "netns", lab.client, "type", "veth", "peer", "name", "e0", "netns", lab.edge);
            must("ip", "link", "add", "s0", "netns", lab.server, "type", "veth", "peer", "name", "e1", "netns", lab.edge);
            lab.in(lab.client, "ip", "addr", "add", CLIENT_IP + "/24", "dev", "c0");
            lab.in(lab.client, "ip", "link", "set", "c0", "up");
            lab.in(lab.client, "ip", "route", "add", "default", "via", EDGE_CLIENT_SIDE);
            lab.in(lab.edge, "ip", "addr", "add", EDGE_CLIENT_SIDE + "/24", "dev", "e0");
            lab.in(lab.edge, "ip", "addr", "add", EDGE_SERVER_SIDE + "/24", "dev", "e1");
            lab.in(lab.edge, "ip", "link", "set", "e0", "up");
            lab.in(lab.edge, "ip", "link", "set", "e1", "up");
            lab.in(lab.edge, "sysctl", "-qw", "net.ipv4.ip_forward=1");
            lab.in(lab.server, "ip", "addr", "add", SERVER_IP + "/24", "dev", "s0");
            lab.in(lab.server, "ip", "link", "set", "s0", "up");
            lab.in(lab.server, "ip", "route", "add", "default", "via", EDGE_SERVER_SIDE);
            return lab;
        } catch (Exception | AssertionError e) {
            lab.close();
            throw e;
        }
    }

    private static void must(String... command) throws Exception {
        Processes.Result r = Processes.run(List.of(command), 30);
        if (r.exitCode() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed: " + r.stderr());
        }
    }

    /** Runs a command in a namespace; it must succeed. */
    public void in(String ns, String... command) throws Exception {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        full.addAll(List.of(command));
        must(full.toArray(String[]::new));
    }

    /** Runs a command in a namespace and returns its result, whatever it is. */
    public Processes.Result run(String ns, int timeoutSeconds, String... command) throws Exception {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        full.addAll(List.of(command));
        return Processes.run(full, timeoutSeconds);
    }

    /** Applies an nftables ruleset in a namespace. */
    public void nft(String ns, String ruleset) throws Exception {
        java.nio.file.Path f = java.nio.file.Files.createTempFile("portcullis-nft-", ".nft");
        try {
            java.nio.file.Files.writeString(f, ruleset);
            in(ns, "nft", "-f", f.toString());
        } finally {
            java.nio.file.Files.deleteIfExists(f);
        }
    }

    /** Starts a long-running process in a namespace (ip netns exec execs it: the handle is the process itself). */
    public Process start(String ns, java.nio.file.Path log, String... command) throws IOException {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        full.addAll(List.of(command));
        Process p = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        processes.add(p);
        return p;
    }

    /** Waits (up to 10 s) until {@code host:port} accepts a connection made from namespace {@code ns}. */
    public void awaitPort(String ns, String host, int port) throws Exception {
        for (int i = 0; i < 100; i++) {
            if (run(ns, 5, "bash", "-c", "exec 3<>/dev/tcp/" + host + "/" + port).exitCode() == 0) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(host + ":" + port + " never answered in " + ns);
    }

    /**
     * Starts vsftpd in the server namespace on {@link #SERVER_IP}:{@code port}: anonymous, files from
     * {@code root}, uploads allowed, passive ports {@code pasvMin}-{@code pasvMax}; its config and logs
     * go to {@code dir} under {@code name}. Returns once the edge can reach it.
     */
    public Process startVsftpd(java.nio.file.Path dir, String name, java.nio.file.Path root, int port, int pasvMin, int pasvMax)
            throws Exception {
        java.nio.file.Path conf = dir.resolve(name + ".conf");
        java.nio.file.Files.writeString(conf, String.join("\n",
                "listen=YES", "listen_ipv6=NO", "listen_address=" + SERVER_IP, "listen_port=" + port,
                "background=NO", "anonymous_enable=YES", "anon_root=" + root, "no_anon_password=YES",
                "local_enable=NO", "write_enable=YES", "anon_upload_enable=YES", "anon_umask=022",
                "pasv_enable=YES", "pasv_min_port=" + pasvMin, "pasv_max_port=" + pasvMax, "port_enable=YES",
                "connect_from_port_20=NO", "seccomp_sandbox=NO", "isolate_network=NO", "isolate=NO",
                "secure_chroot_dir=/var/run/vsftpd/empty", "xferlog_enable=YES", "vsftpd_log_file=" + dir.resolve(name + ".log"), ""));
        java.nio.file.Files.createDirectories(java.nio.file.Path.of("/var/run/vsftpd/empty"));
        Process p = start(server, dir.resolve(name + ".out"), "/usr/sbin/vsftpd", conf.toString());
        awaitPort(edge, SERVER_IP, port);
        return p;
    }

    /**
     * Starts the packaged Portcullis in the edge namespace with {@code yaml} as dir/portcullis.yaml,
     * logging to dir/portcullis.log; returns once the log shows {@code readyLine} or the process has
     * exited (at most 30 s): the caller checks which.
     */
    public Process startPortcullis(java.nio.file.Path javaBin, java.nio.file.Path jar, java.nio.file.Path dir, String yaml,
                                   String readyLine) throws Exception {
        java.nio.file.Path config = dir.resolve("portcullis.yaml");
        java.nio.file.Files.writeString(config, yaml);
        java.nio.file.Path log = dir.resolve("portcullis.log");
        java.nio.file.Files.deleteIfExists(log);
        Process p = start(edge, log, javaBin.toString(), "-jar", jar.toString(), "--config", config.toString());
        // A proxy that exits (a test of a refused start) is returned as it is; one that neither exits
        // nor becomes ready within 30 s fails here.
        org.awaitility.Awaitility.await("portcullis ready in " + edge).atMost(java.time.Duration.ofSeconds(30))
                .pollInterval(java.time.Duration.ofMillis(100))
                .until(() -> !p.isAlive() || java.nio.file.Files.exists(log) && java.nio.file.Files.readString(log).contains(readyLine));
        return p;
    }

    public void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
        }
        processes.remove(p);
    }

    private void deleteNamespaces() throws Exception {
        for (String ns : List.of(client, edge, server)) {
            Processes.run(List.of("ip", "netns", "del", ns), 10);
        }
    }

    @Override
    public void close() throws Exception {
        for (Process p : new ArrayList<>(processes)) {
            stop(p);
        }
        deleteNamespaces();
    }
}
