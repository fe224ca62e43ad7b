package dev.portcullis.testing;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real vsftpd (Debian's package, installed by .ci/run) started on loopback for one test class:
 * anonymous access over a directory the test fills, with an upload directory. Runs as root, as
 * vsftpd requires, and is stopped by its own process handle.
 */
public final class VsftpdProcess implements AutoCloseable {

    private static final String BINARY = "/usr/sbin/vsftpd";

    private final Process process;
    private final Path dir;
    private final Path root;
    private final int port;

    private VsftpdProcess(Process process, Path dir, Path root, int port) {
        this.process = process;
        this.dir = dir;
        this.root = root;
        this.port = port;
    }

    /** Skips the test where vsftpd cannot run here, except under CI, where that is a failure. */
    public static void assumeAvailable() {
        boolean ok = new File(BINARY).canExecute() && "root".equals(System.getProperty("user.name"));
        if (!ok && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("vsftpd must be installed (and the tests run as root) under CI: .ci/run installs it");
        }
        Assumptions.assumeTrue(ok, "vsftpd not installed or not running as root: skipping the vsftpd interop tests");
    }

    public static VsftpdProcess start(int pasvLow, int pasvHigh) throws IOException, InterruptedException {
        return start(pasvLow, pasvHigh, java.util.List.of());
    }

    /** Starts vsftpd with extra configuration lines (e.g. the ssl_* settings for FTPS). */
    public static VsftpdProcess start(int pasvLow, int pasvHigh, java.util.List<String> extra) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "portcullis-vsftpd-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path root = Files.createDirectories(dir.resolve("root"));
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path upload = Files.createDirectories(root.resolve("upload"));
        UserPrincipal ftp = root.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("ftp");
        Files.setOwner(upload, ftp);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path conf = dir.resolve("vsftpd.conf");
        Files.writeString(conf, String.join("\n",
                "listen=YES", "listen_ipv6=NO", "listen_address=127.0.0.1", "listen_port=" + port,
                "background=NO", "anonymous_enable=YES", "anon_root=" + root, "no_anon_password=YES",
                "local_enable=NO", "write_enable=YES", "anon_upload_enable=YES", "anon_mkdir_write_enable=YES",
                "anon_other_write_enable=YES", "anon_umask=022", "pasv_enable=YES",
                "pasv_min_port=" + pasvLow, "pasv_max_port=" + pasvHigh, "port_enable=YES",
                "connect_from_port_20=NO", "seccomp_sandbox=NO", "isolate_network=NO", "isolate=NO",
                "secure_chroot_dir=/var/run/vsftpd/empty", "xferlog_enable=NO",
                "vsftpd_log_file=" + dir.resolve("vsftpd.log"), "max_clients=500", "max_per_ip=500",
                String.join("\n", extra), ""));
        Files.createDirectories(Path.of("/var/run/vsftpd/empty"));
        Process p = new ProcessBuilder(BINARY, conf.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                if (s.getLocalPort() == port) {
                    throw new IOException("connected to itself: nothing listens yet"); // ephemeral-range self-connect
                }
                return new VsftpdProcess(p, dir, root, port);
            } catch (IOException notYet) {
                if (!p.isAlive()) {
                    throw new IOException("vsftpd exited: " + Files.readString(dir.resolve("stdout.log")));
                }
                Thread.sleep(50);
            }
        }
        p.destroyForcibly();
        throw new IOException("vsftpd did not listen within 10 s");
    }

    public int port() {
        return port;
    }

    public Path root() {
        return root;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir left behind is harmless
        }
    }
}
