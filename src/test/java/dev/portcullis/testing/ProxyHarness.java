package dev.portcullis.testing;

import dev.portcullis.PortcullisServer;
import dev.portcullis.backend.EmbeddedFtpServer;
import dev.portcullis.config.CliOverrides;
import dev.portcullis.config.ConfigLoader;
import dev.portcullis.config.ProxyConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/** Starts an in-JVM Apache FtpServer backend and a Portcullis in front of it, both on loopback. */
public final class ProxyHarness implements AutoCloseable {

    public static final String USER = "alice";
    public static final String PASSWORD = "wonderland";

    private final Path root;
    private final EmbeddedFtpServer backend;
    private final ImplicitTlsFront implicitFront;
    private final PortcullisServer proxy;

    private ProxyHarness(Path root, EmbeddedFtpServer backend, ImplicitTlsFront implicitFront, PortcullisServer proxy) {
        this.root = root;
        this.backend = backend;
        this.implicitFront = implicitFront;
        this.proxy = proxy;
    }

    public static ProxyHarness start(Path root, UnaryOperator<ProxyConfig> customize) throws Exception {
        return start(root, customize, null);
    }

    /** @param backendKeystore PKCS#12 for an explicit-FTPS backend, or null for a plain one */
    public static ProxyHarness start(Path root, UnaryOperator<ProxyConfig> customize, Path backendKeystore) throws Exception {
        return start(root, customize, backendKeystore, false);
    }

    /** @param implicitBackendTls the backend speaks implicit FTPS (TLS from the first byte) */
    public static ProxyHarness start(Path root, UnaryOperator<ProxyConfig> customize, Path backendKeystore,
                                     boolean implicitBackendTls) throws Exception {
        EmbeddedFtpServer backend = EmbeddedFtpServer.start("127.0.0.1", 0, root, List.of(
                new EmbeddedFtpServer.Account(USER, PASSWORD, true),
                new EmbeddedFtpServer.Account("anonymous", "", false)), backendKeystore);
        ImplicitTlsFront front = implicitBackendTls ? new ImplicitTlsFront(backendKeystore, backend.port()) : null;
        PortcullisServer proxy = new PortcullisServer(customize.apply(baseConfig(front != null ? front.port() : backend.port()))).start();
        return new ProxyHarness(root, backend, front, proxy);
    }

    /** Proxy config for a backend on 127.0.0.1:port, listening on 127.0.0.1 at a free port. */
    public static ProxyConfig baseConfig(int backendPort) throws Exception {
        return ConfigLoader.load(Optional.empty(), new CliOverrides(List.of(), "127.0.0.1:" + backendPort, "30000-30299", null))
                .withListen(List.of(new InetSocketAddress("127.0.0.1", 0)))
                .withAdmin(new dev.portcullis.config.AdminConfig(Optional.empty(), Duration.ofSeconds(30)));
    }

    /** Health checks every 100 ms, one result enough to change state: for failover tests. */
    public static final dev.portcullis.config.HealthCheckConfig FAST_HEALTH_CHECKS = new dev.portcullis.config.HealthCheckConfig(
            true, Duration.ofMillis(100), Duration.ofSeconds(1), 1, 1, false, Optional.empty(), Optional.empty());

    public static ProxyConfig fastHealthChecks(ProxyConfig c) {
        return c.withBackends(c.backends().withHealthCheck(FAST_HEALTH_CHECKS));
    }

    public static ProxyConfig withPublicAddress(ProxyConfig c, String address) {
        try {
            return c.withPublicAddress(java.net.InetAddress.getByName(address));
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    public InetSocketAddress proxyAddress() {
        return proxy.boundAddresses().get(0);
    }

    public String url(String path) {
        return "ftp://" + USER + ":" + PASSWORD + "@127.0.0.1:" + proxyAddress().getPort() + "/" + path;
    }

    public PortcullisServer proxy() {
        return proxy;
    }

    public Path root() {
        return root;
    }

    /** The port the proxy's backend is configured at (the implicit-TLS front's, where there is one). */
    public int backendPort() {
        return implicitFront != null ? implicitFront.port() : backend.port();
    }

    public Path write(String name, byte[] content) throws IOException {
        Path p = root.resolve(name);
        Files.createDirectories(p.getParent());
        Files.write(p, content);
        return p;
    }

    /** Waits (bounded) until the proxy holds no session and every passive port is back; fails saying what is still held. */
    public void assertQuiescent() {
        org.awaitility.Awaitility.await("proxy quiescent").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .untilAsserted(() -> {
                    if (proxy.sessions().size() != 0 || proxy.passivePortPool().available() != proxy.passivePortPool().capacity()
                            || proxy.expectations().size() != 0) {
                        throw new AssertionError("proxy not quiescent: sessions=" + proxy.sessions().size()
                                + " free ports=" + proxy.passivePortPool().available() + "/" + proxy.passivePortPool().capacity()
                                + " expectations=" + proxy.expectations().size());
                    }
                });
    }

    /** Open descriptors of this JVM (proxy, in-JVM backend and test clients together), for leak checks. */
    public static long openFileDescriptors() {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Waits until {@code condition} holds; fails (ConditionTimeoutException) if it does not within {@code limit}. */
    public static void awaitTrue(Duration limit, BooleanSupplier condition) {
        org.awaitility.Awaitility.await().atMost(limit).pollInterval(Duration.ofMillis(20)).until(condition::getAsBoolean);
    }

    /** Retries {@code assertion} until it passes; past {@code limit} fails with its last assertion error. */
    public static void eventually(Duration limit, org.awaitility.core.ThrowingRunnable assertion) {
        org.awaitility.Awaitility.await().atMost(limit).pollInterval(Duration.ofMillis(20)).untilAsserted(assertion);
    }

    @Override
    public void close() {
        proxy.stop();
        if (implicitFront != null) {
            implicitFront.close();
        }
        backend.close();
    }
}
