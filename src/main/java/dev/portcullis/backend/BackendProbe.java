package dev.portcullis.backend;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the backend for readiness: a TCP connect and a {@code 220} banner within the connect
 * timeout, then QUIT. Runs on its own thread, at a fixed interval; logs state changes only.
 */
public final class BackendProbe implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("portcullis.backend");

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "portcullis-backend-probe");
        t.setDaemon(true);
        return t;
    });
    private final Supplier<InetSocketAddress> backend;
    private final Supplier<Duration> timeout;
    private final Supplier<byte[]> preamble;
    private volatile boolean up;
    private volatile String lastResult = "not checked yet";

    /**
     * @param preamble bytes sent first on every check (a PROXY protocol header saying "no client"
     *                 for backends that require one), or an empty array
     */
    public BackendProbe(Supplier<InetSocketAddress> backend, Supplier<Duration> timeout, Duration interval,
                        Supplier<byte[]> preamble) {
        this.backend = backend;
        this.timeout = timeout;
        this.preamble = preamble;
        timer.scheduleWithFixedDelay(this::check, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    public boolean up() {
        return up;
    }

    public String lastResult() {
        return lastResult;
    }

    void check() {
        InetSocketAddress a = backend.get();
        String result;
        boolean ok;
        try (Socket s = new Socket()) {
            InetSocketAddress target = a.isUnresolved() ? new InetSocketAddress(a.getHostString(), a.getPort()) : a;
            int ms = (int) timeout.get().toMillis();
            s.connect(target, ms);
            s.setSoTimeout(ms);
            byte[] first = preamble.get();
            if (first.length > 0) {
                s.getOutputStream().write(first);
            }
            String banner = readLine(s.getInputStream());
            ok = banner.startsWith("220");
            result = ok ? "banner 220" : "unexpected banner: " + banner;
            s.getOutputStream().write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException | RuntimeException e) {
            ok = false;
            result = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        if (ok != up) {
            log.info("backend {} is {} ({})", a, ok ? "up" : "DOWN", result);
        }
        up = ok;
        lastResult = Instant.now() + " " + a + ": " + result;
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) != -1 && c != '\n' && b.length() < 512) {
            b.append((char) c);
        }
        return b.toString().strip();
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
