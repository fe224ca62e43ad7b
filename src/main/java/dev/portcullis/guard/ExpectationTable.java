package dev.portcullis.guard;

import java.net.InetAddress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * All live data expectations of the proxy, keyed by local port. The clock is injected so that
 * expiry is tested without sleeping. Shared by every event loop, hence a concurrent map.
 */
public final class ExpectationTable {

    private final Map<Integer, DataExpectation> byPort = new ConcurrentHashMap<>();
    private final LongSupplier nanoClock;

    public ExpectationTable(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    public DataExpectation expect(String sessionId, InetAddress peer, int localPort, long ttlNanos) {
        DataExpectation e = new DataExpectation(sessionId, peer, localPort, nanoClock.getAsLong() + ttlNanos);
        DataExpectation previous = byPort.putIfAbsent(localPort, e);
        if (previous != null) {
            throw new IllegalStateException("port " + localPort + " already expected by " + previous.sessionId());
        }
        return e;
    }

    /**
     * Claims the expectation on {@code localPort} for a connection from {@code peer}. A peer that
     * does not match gets nothing and leaves the expectation in place for the real client.
     */
    public Optional<DataExpectation> claim(int localPort, InetAddress peer) {
        DataExpectation e = byPort.get(localPort);
        if (e == null || !e.admits(peer, nanoClock.getAsLong())) {
            return Optional.empty();
        }
        return byPort.remove(localPort, e) ? Optional.of(e) : Optional.empty();
    }

    /**
     * Puts back an expectation whose connection was refused after the claim (a TLS data connection
     * that did not resume the control session): the real client may still come, until the
     * expectation's own expiry. False if it has expired meanwhile or the port is expected anew.
     */
    public boolean rearm(DataExpectation e) {
        return !e.isExpired(nanoClock.getAsLong()) && byPort.putIfAbsent(e.localPort(), e) == null;
    }

    /** Removes the expectation if it is still there; true if it was (it had not been claimed). */
    public boolean cancel(DataExpectation e) {
        return byPort.remove(e.localPort(), e);
    }

    public int size() {
        return byPort.size();
    }
}
