package dev.portcullis.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The packaged jar (target/portcullis.jar) run as its own process on a chosen JVM, with an admin listener to read its metrics. */
public final class PackagedProxy implements AutoCloseable {

    private static final Pattern ADMIN = Pattern.compile("admin listening on /127\\.0\\.0\\.1:(\\d+)");

    private final Process process;
    private final Path logFile;
    private final int port;
    private int adminPort; // read from the start line

    private PackagedProxy(Process process, Path logFile, int port) {
        this.process = process;
        this.logFile = logFile;
        this.port = port;
    }

    /** Starts the jar with {@code java} and a config of a loopback listener plus {@code extraYaml}; waits for its "listening" line. */
    public static PackagedProxy start(Path java, Path dir, String extraYaml) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path cfg = dir.resolve("packaged-proxy.yaml");
        Files.writeString(cfg, "listen: 127.0.0.1:" + port + "\nadmin: {listen: \"127.0.0.1:0\"}\n" + extraYaml);
        Path log = dir.resolve("packaged-proxy.log");
        Process p = new ProcessBuilder(java.toString(), "-jar", Path.of("target", "portcullis.jar").toString(), "--config", cfg.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        PackagedProxy proxy = new PackagedProxy(p, log, port);
        try {
            // The proxy's own word, not a connect loop: a port in the ephemeral range can connect to itself.
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                    .failFast("the proxy exited:\n" + log, () -> !p.isAlive())
                    .until(() -> proxy.logQuietly().contains("admin listening on"));
            Matcher m = ADMIN.matcher(proxy.log());
            if (!m.find() || !proxy.log().contains("listening on /127.0.0.1:" + port)) {
                throw new IllegalStateException("the proxy did not start:\n" + proxy.log());
            }
            proxy.adminPort = Integer.parseInt(m.group(1));
            return proxy;
        } catch (Exception | AssertionError e) {
            proxy.close();
            throw e;
        }
    }

    public int port() {
        return port;
    }

    public String url(String path) {
        return "ftp://" + ProxyHarness.USER + ":" + ProxyHarness.PASSWORD + "@127.0.0.1:" + port + "/" + path;
    }

    public String log() throws IOException {
        return Files.readString(logFile);
    }

    private String logQuietly() {
        try {
            return log();
        } catch (IOException e) {
            return "";
        }
    }

    /** One sample of the Prometheus page, by its exposed name (no labels). */
    public double metric(String name) throws IOException, InterruptedException {
        String page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\S+)$").matcher(page);
        if (!m.find()) {
            throw new IllegalStateException(name + " not on the metrics page");
        }
        return Double.parseDouble(m.group(1));
    }

    public double metricQuietly(String name) {
        try {
            return metric(name);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Double.NaN;
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        System.out.println("---- packaged proxy log ----\n" + logQuietly());
    }
}
