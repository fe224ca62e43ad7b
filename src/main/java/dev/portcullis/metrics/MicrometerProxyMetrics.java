package dev.portcullis.metrics;

import static dev.portcullis.metrics.MeterNames.*;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@link ProxyMetrics} on a Micrometer registry (Prometheus in production, a simple one in tests).
 * Meters are looked up in the registry once per series and then kept here: the registry's lookup
 * builds and sorts the tags every time, several times a session. A series still appears at its
 * first event, as before.
 */
public final class MicrometerProxyMetrics implements ProxyMetrics {

    private final MeterRegistry registry;
    private final Counter opened;
    private final Timer addedLatency;
    private final Map<Object, Counter> counters = new ConcurrentHashMap<>();
    private final Map<Boolean, Timer> backendConnects = new ConcurrentHashMap<>();

    /** The tags of a counter series, as a key of {@link #counters}. */
    private record Series(String name, Object a, Object b, Object c) {}

    public MicrometerProxyMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.opened = Counter.builder(SESSIONS).tag(TAG_OUTCOME, "opened").description("control sessions by outcome").register(registry);
        this.addedLatency = Timer.builder(ADDED_LATENCY)
                .description("time a forwarded command and its reply spend inside the proxy")
                .publishPercentileHistogram()
                .minimumExpectedValue(java.time.Duration.ofNanos(10_000))
                .maximumExpectedValue(java.time.Duration.ofMillis(100))
                .register(registry);
        // Present at zero, so that dashboards and alerts see these series before the first event.
        for (Blocked b : Blocked.values()) {
            counter(BLOCKED, TAG_REASON, tag(b));
        }
        for (TlsSide side : TlsSide.values()) {
            counter(TLS_HANDSHAKES, TAG_SIDE, tag(side), TAG_OUTCOME, "ok");
            counter(TLS_HANDSHAKES, TAG_SIDE, tag(side), TAG_OUTCOME, "failed");
        }
        counter(PROTOCOL_VIOLATIONS);
    }

    public MeterRegistry registry() {
        return registry;
    }

    private Counter counter(String name, String... tags) {
        return registry.counter(name, tags);
    }

    private static String tag(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public void sessionOpened() {
        opened.increment();
    }

    @Override
    public void sessionClosed(String outcome) {
        counters.computeIfAbsent(new Series(SESSIONS, outcome, null, null),
                k -> counter(SESSIONS, TAG_OUTCOME, outcome)).increment();
    }

    @Override
    public void transfer(Direction direction, String mode, boolean ok, long bytesClientToBackend, long bytesBackendToClient) {
        counters.computeIfAbsent(new Series(TRANSFERS, direction, mode, ok),
                k -> counter(TRANSFERS, TAG_DIRECTION, tag(direction), TAG_MODE, mode, TAG_OUTCOME, ok ? "ok" : "failed")).increment();
        if (bytesClientToBackend > 0) {
            counters.computeIfAbsent(new Series(DATA_BYTES, Direction.UPLOAD, null, null),
                    k -> counter(DATA_BYTES, TAG_DIRECTION, "client_to_backend")).increment(bytesClientToBackend);
        }
        if (bytesBackendToClient > 0) {
            counters.computeIfAbsent(new Series(DATA_BYTES, Direction.DOWNLOAD, null, null),
                    k -> counter(DATA_BYTES, TAG_DIRECTION, "backend_to_client")).increment(bytesBackendToClient);
        }
    }

    @Override
    public void rewrite(String kind) {
        counters.computeIfAbsent(new Series(REWRITES, kind, null, null), k -> counter(REWRITES, TAG_KIND, kind)).increment();
    }

    @Override
    public void blocked(Blocked reason) {
        counters.computeIfAbsent(new Series(BLOCKED, reason, null, null), k -> counter(BLOCKED, TAG_REASON, tag(reason))).increment();
    }

    @Override
    public void protocolViolation() {
        counters.computeIfAbsent(new Series(PROTOCOL_VIOLATIONS, null, null, null), k -> counter(PROTOCOL_VIOLATIONS)).increment();
    }

    @Override
    public void tlsHandshake(TlsSide side, boolean ok) {
        counters.computeIfAbsent(new Series(TLS_HANDSHAKES, side, ok, null),
                k -> counter(TLS_HANDSHAKES, TAG_SIDE, tag(side), TAG_OUTCOME, ok ? "ok" : "failed")).increment();
    }

    @Override
    public void backendConnect(long nanos, boolean ok) {
        backendConnects.computeIfAbsent(ok, k -> Timer.builder(BACKEND_CONNECT).tag(TAG_OUTCOME, ok ? "ok" : "failed")
                .description("resolving and connecting to the backend's control port")
                .publishPercentileHistogram()
                .minimumExpectedValue(java.time.Duration.ofNanos(50_000))
                .maximumExpectedValue(java.time.Duration.ofSeconds(10))
                .register(registry)).record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void addedLatency(long nanos) {
        addedLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A counter's current value (0 when it does not exist yet): for tests and the admin endpoint. */
    public double count(String name, String... tags) {
        Counter c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }
}
