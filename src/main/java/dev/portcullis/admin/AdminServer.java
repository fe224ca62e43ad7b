package dev.portcullis.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import dev.portcullis.policy.LoginBans;

/**
 * The admin HTTP listener: {@code /metrics} (Prometheus text), {@code /healthz} (the process
 * answers), {@code /readyz} (listeners bound and the backend answered its last check), {@code /bans}
 * and the runtime API ({@link RuntimeApi}: {@code /sessions}, {@code /backends}). It is
 * the JDK's small HTTP server on one thread: scrapes are rare and cheap, and it keeps the FTP event
 * loops out of it. Bind it to loopback or a management network only.
 */
public final class AdminServer implements AutoCloseable {

    private final HttpServer server;

    /**
     * @param token the runtime API's bearer token, read at each call (a reload may set it)
     */
    public AdminServer(InetSocketAddress address, Supplier<String> metrics, BooleanSupplier ready,
                       Supplier<String> readinessDetail, LoginBans bans, dev.portcullis.control.SessionRegistry sessions,
                       dev.portcullis.backend.BackendPool backends, Supplier<java.util.Optional<String>> token) throws IOException {
        server = HttpServer.create(address, 16);
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "portcullis-admin");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/metrics", ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.get()));
        server.createContext("/healthz", ex -> respond(ex, 200, "text/plain; charset=utf-8", "ok\n"));
        server.createContext("/readyz", ex -> {
            boolean ok = ready.getAsBoolean();
            respond(ex, ok ? 200 : 503, "text/plain; charset=utf-8", (ok ? "ready\n" : "not ready\n") + readinessDetail.get());
        });
        server.createContext("/bans/release", ex -> {
            if (!ex.getRequestMethod().equals("POST")) {
                respond(ex, 405, "text/plain; charset=utf-8", "use POST\n");
                return;
            }
            String query = ex.getRequestURI().getQuery();
            String ip = query != null && query.startsWith("address=") ? query.substring("address=".length()) : "";
            java.util.Optional<java.net.InetAddress> a = ip.contains(":")
                    ? dev.portcullis.ftp.ExtendedHostPort.parseIpv6Literal(ip)
                    : dev.portcullis.ftp.ExtendedHostPort.parseIpv4Literal(ip);
            if (a.isEmpty()) {
                respond(ex, 400, "text/plain; charset=utf-8", "expected ?address=<IP literal>\n");
                return;
            }
            boolean had = bans.release(a.get());
            respond(ex, had ? 200 : 404, "text/plain; charset=utf-8", (had ? "released " : "no ban for ") + ip + "\n");
        });
        server.createContext("/bans", ex -> {
            StringBuilder b = new StringBuilder();
            bans.active().forEach((ip, until) -> b.append(ip).append(' ').append(java.time.Instant.ofEpochMilli(until)).append('\n'));
            respond(ex, 200, "text/plain; charset=utf-8", b.toString());
        });
        RuntimeApi api = new RuntimeApi(sessions, backends, token);
        server.createContext("/sessions", api::sessions);
        server.createContext("/backends", api::backends);
        server.start();
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    static void respond(HttpExchange ex, int status, String type, String body) throws IOException {
        try (ex) {
            if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD") && !ex.getRequestMethod().equals("POST")) {
                ex.sendResponseHeaders(405, -1);
                return;
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", type);
            ex.sendResponseHeaders(status, ex.getRequestMethod().equals("HEAD") ? -1 : bytes.length);
            if (!ex.getRequestMethod().equals("HEAD")) {
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
