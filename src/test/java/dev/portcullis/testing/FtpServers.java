package dev.portcullis.testing;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * ProFTPD and Pure-FTPd for the interop matrix. Their Debian packages conflict with vsftpd's
 * ({@code Conflicts: ftp-server}), so .ci/run unpacks them with {@code apt-get download} and
 * {@code dpkg -x} into a private directory ({@code PORTCULLIS_FTP_SERVERS}, default
 * /opt/portcullis-interop/root), and they run from there on loopback, as root (as they expect),
 * serving anonymous FTP over a directory the test fills, with an upload directory.
 */
public final class FtpServers {

    /**
     * A running server.
     *
     * @param prefix the FTP path of the served directory ("" when it is the anonymous root)
     * @param disk   the served directory on disk
     */
    public record Running(String name, int port, String prefix, Path disk, Process process, Path scratch) implements AutoCloseable {
        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            try (var files = Files.walk(scratch)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException ignored) {
                // leftovers in a temp dir are harmless
            }
        }
    }

    private FtpServers() {
    }

    public static Path unpacked() {
        return Path.of(System.getenv().getOrDefault("PORTCULLIS_FTP_SERVERS", "/opt/portcullis-interop/root"));
    }

    /** Skips where the unpacked servers are missing, except under CI, where that is a failure. */
    public static void assumeAvailable(String binary) {
        boolean ok = new File(unpacked().toFile(), binary).canExecute() && "root".equals(System.getProperty("user.name"));
        if (!ok && "true".equals(System.getenv("CI"))) {
            throw new AssertionError(binary + " must be unpacked under " + unpacked() + " under CI: .ci/run does that");
        }
        Assumptions.assumeTrue(ok, binary + " not unpacked under " + unpacked() + ": skipping (see .ci/run)");
    }

    public static Running proftpd(int pasvLow, int pasvHigh) throws Exception {
        assumeAvailable("usr/sbin/proftpd");
        Path dir = scratch("/tmp", "portcullis-proftpd-");
        Path root = servedRoot(dir.resolve("root"));
        int port = freePort();
        Path conf = dir.resolve("proftpd.conf");
        Files.writeString(conf, String.join("\n",
                "ServerName \"portcullis interop\"", "ServerType standalone", "DefaultServer on",
                "Port " + port, "DefaultAddress 127.0.0.1", "UseIPv6 off", "User nobody", "Group nogroup",
                "PidFile " + dir.resolve("proftpd.pid"), "ScoreboardFile " + dir.resolve("scoreboard"),
                "DelayTable none", "WtmpLog off", "UseReverseDNS off", "RequireValidShell off",
                "AuthOrder mod_auth_unix.c", "PassivePorts " + pasvLow + " " + pasvHigh, "MaxInstances 300",
                "AllowOverwrite on", "AllowRetrieveRestart on", "AllowStoreRestart on",
                "<Anonymous " + root + ">", "  User ftp", "  Group nogroup", "  UserAlias anonymous ftp",
                "  RequireValidShell off", "  <Limit WRITE>", "    AllowAll", "  </Limit>", "</Anonymous>", ""));
        Process p = new ProcessBuilder(unpacked().resolve("usr/sbin/proftpd").toString(), "-n", "-q", "-c", conf.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile()).start();
        return awaitListening("proftpd", port, "", root, p, dir);
    }

    public static Running pureFtpd(int pasvLow, int pasvHigh) throws Exception {
        assumeAvailable("usr/sbin/pure-ftpd");
        // Pure-FTPd serves anonymous users from the ftp user's home (/srv/ftp): use a private subdirectory.
        Path home = Path.of(System.getProperty("portcullis.ftp.home", "/srv/ftp"));
        Path dir = scratch(home.toString(), "portcullis-interop-");
        Path root = servedRoot(dir);
        int port = freePort();
        Process p = new ProcessBuilder(unpacked().resolve("usr/sbin/pure-ftpd").toString(),
                "-S", "127.0.0.1," + port, "-p", pasvLow + ":" + pasvHigh, "-e", "-M", "-A", "-c", "300", "-C", "300")
                .redirectErrorStream(true).redirectOutput(Files.createTempFile("pure-ftpd", ".log").toFile()).start();
        return awaitListening("pure-ftpd", port, home.relativize(root) + "/", root, p, dir);
    }

    private static Path scratch(String parent, String prefix) throws IOException {
        Files.createDirectories(Path.of(parent));
        Path dir = Files.createTempDirectory(Path.of(parent), prefix);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    private static Path servedRoot(Path root) throws IOException {
        Files.createDirectories(root);
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path upload = Files.createDirectories(root.resolve("upload"));
        Files.setOwner(upload, root.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("ftp"));
        return root;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static Running awaitListening(String name, int port, String prefix, Path disk, Process p, Path dir) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 300);
                if (s.getLocalPort() == port) {
                    throw new IOException("connected to itself: nothing listens yet"); // ephemeral-range self-connect
                }
                return new Running(name, port, prefix, disk, p, dir);
            } catch (IOException notYet) {
                if (!p.isAlive()) {
                    throw new IOException(name + " exited");
                }
                Thread.sleep(50);
            }
        }
        p.destroyForcibly();
        throw new IOException(name + " did not listen within 10 s");
    }

}
