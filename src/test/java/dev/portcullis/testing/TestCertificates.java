package dev.portcullis.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Self-signed certificates made with the openssl command line (installed by .ci/run), for TLS tests. */
public final class TestCertificates {

    /** A certificate, its key, and a PKCS#12 bundle of both (password "changeit") for Apache FtpServer. */
    public record Files(Path cert, Path key, Path pkcs12) {
    }

    private TestCertificates() {
    }

    public static Files create(Path dir, String commonName, String keyType) throws IOException, InterruptedException {
        return create(dir, commonName, keyType, "DNS:localhost,IP:127.0.0.1");
    }

    /** A certificate whose subjectAltName is {@code altNames} (e.g. "DNS:other.example"). */
    public static Files create(Path dir, String commonName, String keyType, String altNames) throws IOException, InterruptedException {
        Path cert = dir.resolve(commonName + ".crt.pem");
        Path key = dir.resolve(commonName + ".key.pem");
        Path p12 = dir.resolve(commonName + ".p12");
        List<String> newKey = keyType.equals("rsa") ? List.of("-newkey", "rsa:2048")
                : List.of("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256");
        List<String> cmd = new java.util.ArrayList<>(List.of("openssl", "req", "-x509"));
        cmd.addAll(newKey);
        cmd.addAll(List.of("-nodes", "-keyout", key.toString(), "-out", cert.toString(), "-days", "2",
                "-subj", "/CN=" + commonName, "-addext", "subjectAltName=" + altNames));
        run(cmd);
        run(List.of("openssl", "pkcs12", "-export", "-in", cert.toString(), "-inkey", key.toString(),
                "-out", p12.toString(), "-passout", "pass:changeit", "-name", "server"));
        return new Files(cert, key, p12);
    }

    private static void run(List<String> cmd) throws IOException, InterruptedException {
        Processes.Result r = Processes.run(cmd, 60);
        if (r.exitCode() != 0) {
            throw new IOException("openssl failed: " + cmd + "\n" + r.stderr());
        }
    }
}
