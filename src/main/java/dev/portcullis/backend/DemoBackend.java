package dev.portcullis.backend;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The backend Portcullis starts when none is configured: a read-only anonymous FTP server on
 * loopback over a temporary directory with a sample file, so that a first run shows a working proxy.
 */
public final class DemoBackend implements AutoCloseable {

    public static final String SAMPLE_FILE = "welcome.txt";

    private final Path root;
    private final EmbeddedFtpServer server;

    private DemoBackend(Path root, EmbeddedFtpServer server) {
        this.root = root;
        this.server = server;
    }

    public static DemoBackend start() throws IOException {
        Path root = Files.createTempDirectory("portcullis-demo-");
        Files.writeString(root.resolve(SAMPLE_FILE),
                "Hello from the Portcullis demo backend.\n"
                        + "This file was served by an embedded FTP server through the Portcullis proxy.\n",
                StandardCharsets.UTF_8);
        Files.createDirectories(root.resolve("pub"));
        Files.write(root.resolve("pub").resolve("64KiB.bin"), sampleBytes(64 * 1024));
        EmbeddedFtpServer server = EmbeddedFtpServer.start("127.0.0.1", 0, root,
                List.of(new EmbeddedFtpServer.Account("anonymous", "", false)));
        return new DemoBackend(root, server);
    }

    private static byte[] sampleBytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }

    public int port() {
        return server.port();
    }

    public Path root() {
        return root;
    }

    @Override
    public void close() throws IOException {
        server.close();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
