package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.PortcullisServer;
import dev.portcullis.testing.Digests;
import dev.portcullis.testing.Processes;
import dev.portcullis.testing.Processes.Result;
import dev.portcullis.testing.ProxyHarness;
import dev.portcullis.testing.VsftpdProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Real clients (curl, lftp, Python ftplib) through Portcullis to a real vsftpd, in every data
 * mode: downloads, uploads and resumed downloads, each checked by SHA-256. Writes the matrix it
 * ran to target/interop-vsftpd.md.
 */
class VsftpdInteropIT {

    static VsftpdProcess vsftpd;
    static PortcullisServer proxy;
    static byte[] file;
    static final Map<String, String> matrix = new TreeMap<>();

    @TempDir
    Path work;

    /** curl's switches for each data mode. */
    enum CurlMode {
        EPSV(List.of()),
        PASV(List.of("--disable-epsv")),
        EPRT(List.of("--ftp-port", "127.0.0.1")),
        PORT(List.of("--ftp-port", "127.0.0.1", "--disable-eprt"));

        final List<String> flags;

        CurlMode(List<String> flags) {
            this.flags = flags;
        }
    }

    @BeforeAll
    static void start() throws Exception {
        VsftpdProcess.assumeAvailable();
        vsftpd = VsftpdProcess.start(31000, 31099);
        file = Digests.randomBytes(5 * 1024 * 1024 + 123, 2026);
        Files.write(vsftpd.root().resolve("data.bin"), file);
        proxy = new PortcullisServer(ProxyHarness.baseConfig(vsftpd.port())).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (proxy != null) {
            proxy.stop();
        }
        if (vsftpd != null) {
            vsftpd.close();
        }
        if (!matrix.isEmpty()) {
            StringBuilder sb = new StringBuilder("| client | mode | operation | result |\n|---|---|---|---|\n");
            matrix.forEach((k, v) -> sb.append("| ").append(k.replace("/", " | ")).append(" | ").append(v).append(" |\n"));
            Files.writeString(Path.of("target", "interop-vsftpd.md"), sb.toString());
            System.out.print(sb);
        }
    }

    private String url(String path) {
        return "ftp://127.0.0.1:" + proxy.boundAddresses().get(0).getPort() + "/" + path;
    }

    private static List<String> curl(CurlMode mode, String... args) {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--max-time", "60"));
        cmd.addAll(mode.flags);
        cmd.addAll(Arrays.asList(args));
        return cmd;
    }

    private static void record(String key, boolean ok, Result r) {
        matrix.put(key, ok ? "pass (SHA-256 match)" : "FAIL: exit " + r.exitCode() + " " + r.stderr().strip());
    }

    @ParameterizedTest
    @EnumSource(CurlMode.class)
    void curlDownloadUploadResume(CurlMode mode) throws Exception {
        Result get = Processes.run(curl(mode, url("data.bin")), 90);
        boolean ok = get.exitCode() == 0 && Digests.sha256(get.stdout()).equals(Digests.sha256(file));
        record("curl/" + mode + "/download", ok, get);
        assertThat(get.exitCode()).as(get.stderr()).isZero();
        assertThat(Digests.sha256(get.stdout())).isEqualTo(Digests.sha256(file));

        Path local = work.resolve("up.bin");
        Files.write(local, file);
        String name = "curl-" + mode + ".bin";
        Result put = Processes.run(curl(mode, "-T", local.toString(), url("upload/" + name)), 90);
        Path stored = vsftpd.root().resolve("upload").resolve(name);
        boolean upOk = put.exitCode() == 0 && Files.exists(stored) && Digests.sha256(stored).equals(Digests.sha256(file));
        record("curl/" + mode + "/upload", upOk, put);
        assertThat(upOk).as(put.stderr()).isTrue();

        Path partial = work.resolve("partial.bin");
        Files.write(partial, Arrays.copyOf(file, 1_234_567));
        Result resume = Processes.run(curl(mode, "-C", "-", "-o", partial.toString(), url("data.bin")), 90);
        boolean resOk = resume.exitCode() == 0 && Digests.sha256(partial).equals(Digests.sha256(file));
        record("curl/" + mode + "/resume download (REST)", resOk, resume);
        assertThat(resOk).as(resume.stderr()).isTrue();
    }

    @Test
    void curlListsThroughTheProxy() throws Exception {
        Result ls = Processes.run(List.of("curl", "-sS", "--max-time", "30", url("")), 40);
        assertThat(ls.exitCode()).as(ls.stderr()).isZero();
        assertThat(ls.out()).contains("data.bin").contains("upload");
    }

    @ParameterizedTest
    @EnumSource(value = CurlMode.class, names = {"EPSV", "PASV"})
    void lftpGetAndPut(CurlMode mode) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Processes.available("lftp") || "true".equals(System.getenv("CI")),
                "lftp not installed");
        for (boolean active : new boolean[] {false, true}) {
            String label = active ? "active" : "passive";
            Path got = work.resolve("lftp-" + active + ".bin");
            Path up = work.resolve("lftp-up.bin");
            Files.write(up, file);
            String remote = "upload/lftp-" + mode + "-" + active + ".bin";
            String script = "set cmd:fail-exit yes; set net:max-retries 1; set net:timeout 20; "
                    + "set ftp:passive-mode " + (active ? "off" : "on") + "; "
                    + "set ftp:prefer-epsv " + (mode == CurlMode.EPSV ? "yes" : "no") + "; "
                    + "get data.bin -o " + got + "; put " + up + " -o " + remote + "; ls; quit";
            Result r = Processes.run(List.of("lftp", "-e", script,
                    "ftp://anonymous:x@127.0.0.1:" + proxy.boundAddresses().get(0).getPort()), 120);
            Path stored = vsftpd.root().resolve(remote);
            boolean ok = r.exitCode() == 0 && Digests.sha256(got).equals(Digests.sha256(file))
                    && Files.exists(stored) && Digests.sha256(stored).equals(Digests.sha256(file));
            record("lftp/" + label + ", ftp:prefer-epsv " + (mode == CurlMode.EPSV ? "yes" : "no") + "/get + put", ok, r);
            assertThat(ok).as(r.stderr() + r.out()).isTrue();
        }
    }

    @Test
    void pythonFtplibBothModes() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Processes.available("python3"), "python3 not installed");
        for (boolean passive : new boolean[] {true, false}) {
            Path got = work.resolve("py-" + passive + ".bin");
            Path up = work.resolve("py-up.bin");
            Files.write(up, file);
            String remote = "upload/py-" + passive + ".bin";
            String py = String.join("\n",
                    "import ftplib, sys",
                    "f = ftplib.FTP()",
                    "f.connect('127.0.0.1', " + proxy.boundAddresses().get(0).getPort() + ", timeout=30)",
                    "f.login()",
                    "f.set_pasv(" + (passive ? "True" : "False") + ")",
                    "with open('" + got + "', 'wb') as out: f.retrbinary('RETR data.bin', out.write)",
                    "with open('" + up + "', 'rb') as src: f.storbinary('STOR " + remote + "', src)",
                    "f.quit()");
            Result r = Processes.run(List.of("python3", "-c", py), 90);
            Path stored = vsftpd.root().resolve(remote);
            boolean ok = r.exitCode() == 0 && Digests.sha256(got).equals(Digests.sha256(file))
                    && Files.exists(stored) && Digests.sha256(stored).equals(Digests.sha256(file));
            record("python ftplib/" + (passive ? "PASV" : "PORT") + "/retrbinary + storbinary", ok, r);
            assertThat(ok).as(r.stderr()).isTrue();
        }
    }
}
