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

/**
 * The admin HTTP listener: {@code /metrics} (Prometheus text), {@code /healthz} (the process
 * answers) and {@code /readyz} (listeners bound and the backend answered its last check). It is
 * the JDK's small HTTP server on one thread: scrapes are rare and cheap, and it keeps the FTP event
 * loops out of it. Bind it to loopback or a management network only.
 */
public final class AdminServer implements AutoCloseable {

    private final HttpServer server;

    public AdminServer(InetSocketAddress address, Supplier<String> metrics, BooleanSupplier ready,
                       Supplier<String> readinessDetail) throws IOException {
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
        server.start();
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    private static void respond(HttpExchange ex, int status, String type, String body) throws IOException {
        try (ex) {
            if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD")) {
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
