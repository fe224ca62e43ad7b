package dev.portcullis.backend;

import dev.portcullis.config.HealthCheckConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active FTP-level health checks of every pool member: TCP connect and a {@code 220} banner,
 * optionally {@code AUTH TLS} with a completed handshake and a login with a probe account, all
 * within the check timeout; then QUIT. Members are checked in parallel, each at most once at a
 * time, on threads of their own (the checks use blocking sockets). State changes are logged.
 */
public final class HealthChecker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("portcullis.backend");

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "portcullis-health"));
    private final ExecutorService checks = Executors.newCachedThreadPool(r -> daemon(r, "portcullis-health-check"));
    private final Set<BackendMember> inFlight = ConcurrentHashMap.newKeySet();
    private final BackendPool pool;
    private final Supplier<HealthCheckConfig> config;
    private final Supplier<byte[]> preamble;
    private final Supplier<dev.portcullis.config.BackendTlsConfig> backendTls;

    /**
     * @param preamble bytes sent first on every check (a PROXY protocol header saying "no client"
     *                 for backends that require one), or an empty array
     * @param backendTls   how the backend's certificate is checked (for checks with AUTH TLS)
     */
    public HealthChecker(BackendPool pool, Supplier<HealthCheckConfig> config, Supplier<dev.portcullis.config.BackendTlsConfig> backendTls,
                         Supplier<byte[]> preamble) {
        this.backendTls = backendTls;
        this.pool = pool;
        this.config = config;
        this.preamble = preamble;
        long tick = Math.max(50, config.get().interval().toMillis());
        // The interval is read at each round, so a reload that changes it takes effect; the tick is the first one's.
        timer.scheduleWithFixedDelay(this::round, 0, tick, TimeUnit.MILLISECONDS);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private void round() {
        HealthCheckConfig c = config.get();
        if (!c.enabled()) {
            return;
        }
        for (BackendMember m : pool.members()) {
            if (inFlight.add(m)) {
                checks.execute(() -> {
                    try {
                        check(m, c);
                    } finally {
                        inFlight.remove(m);
                    }
                });
            }
        }
    }

    void check(BackendMember m, HealthCheckConfig c) {
        String result;
        boolean ok;
        try {
            result = probe(m.socketAddress(), c);
            ok = true;
        } catch (IOException | RuntimeException e) {
            ok = false;
            result = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        if (m.record(ok, Instant.now() + " " + result, c.rise(), c.fall())) {
            if (m.up()) {
                log.info("backend {} is UP ({} good check(s) in a row: {})", m, c.rise(), result);
            } else {
                log.warn("backend {} is DOWN ({} failed check(s) in a row: {}); it gets no new sessions", m, c.fall(), result);
            }
        }
    }

    private String probe(InetSocketAddress a, HealthCheckConfig c) throws IOException {
        long deadline = System.nanoTime() + c.timeout().toNanos();
        InetSocketAddress target = a.isUnresolved() ? new InetSocketAddress(a.getHostString(), a.getPort()) : a;
        try (Socket s = new Socket()) {
            s.connect(target, (int) c.timeout().toMillis());
            Socket io = s;
            setTimeout(io, deadline);
            byte[] first = preamble.get();
            if (first.length > 0) {
                io.getOutputStream().write(first);
            }
            StringBuilder done = new StringBuilder();
            expect(io, deadline, null, 220, "banner");
            done.append("220");
            if (c.authTls()) {
                expect(io, deadline, "AUTH TLS", 234, "AUTH TLS");
                SSLSocket tls = (SSLSocket) tlsContext().getSocketFactory().createSocket(s, a.getHostString(), a.getPort(), true);
                tls.setUseClientMode(true);
                dev.portcullis.config.BackendTlsConfig trust = backendTls.get();
                if (!trust.insecure() && trust.fingerprint().isEmpty()) {
                    // As on sessions (Netty's client contexts check it): the certificate must name the backend.
                    javax.net.ssl.SSLParameters p = tls.getSSLParameters();
                    p.setEndpointIdentificationAlgorithm("HTTPS");
                    tls.setSSLParameters(p);
                }
                setTimeout(tls, deadline);
                tls.startHandshake();
                io = tls;
                done.append(", TLS ").append(tls.getSession().getProtocol());
            }
            if (c.user().isPresent()) {
                int code = expect(io, deadline, "USER " + c.user().get(), -1, "USER");
                if (code == 331) {
                    code = expect(io, deadline, "PASS " + c.password().orElse(""), -1, "PASS");
                }
                if (code != 230) {
                    throw new IOException("login probe for " + c.user().get() + " got " + code + ", not 230");
                }
                done.append(", login 230");
            }
            io.getOutputStream().write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
            io.getOutputStream().flush();
            return done.toString();
        }
    }

    private static void setTimeout(Socket s, long deadline) throws IOException {
        s.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
    }

    /** Sends {@code command} (if any), reads one whole reply; checks its code unless {@code want} is -1. */
    private static int expect(Socket s, long deadline, String command, int want, String what) throws IOException {
        setTimeout(s, deadline);
        OutputStream out = s.getOutputStream();
        if (command != null) {
            out.write((command + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
        InputStream in = s.getInputStream();
        String line = readLine(in);
        if (line.length() < 3 || !line.substring(0, 3).chars().allMatch(Character::isDigit)) {
            throw new IOException(what + ": not an FTP reply: " + abbreviate(line));
        }
        if (line.length() > 3 && line.charAt(3) == '-') {
            String end = line.substring(0, 3) + " ";
            for (int i = 0; i < 200; i++) {
                String next = readLine(in);
                if (next.startsWith(end)) {
                    break;
                }
            }
        }
        int code = Integer.parseInt(line.substring(0, 3));
        if (want != -1 && code != want) {
            throw new IOException(what + ": expected " + want + ", got " + abbreviate(line));
        }
        return code;
    }

    private static String abbreviate(String line) {
        return line.length() > 80 ? line.substring(0, 80) + "..." : line;
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) != '\n') {
            if (c == -1) {
                throw new IOException("connection closed" + (b.length() > 0 ? " after '" + abbreviate(b.toString()) + "'" : ""));
            }
            if (b.length() < 512) {
                b.append((char) c);
            }
        }
        return b.toString().strip();
    }

    /**
     * The backend's certificate is checked as sessions check it (backend-tls): the login probe
     * sends a password, and the check must not call a server up that every session would refuse.
     */
    private SSLContext tlsContext() throws IOException {
        try {
            return dev.portcullis.tls.BackendTls.jdkContext(backendTls.get());
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("TLS for the health check: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        checks.shutdownNow();
    }
}
