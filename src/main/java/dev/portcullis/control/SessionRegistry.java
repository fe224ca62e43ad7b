package dev.portcullis.control;

import dev.portcullis.net.Addresses;
import java.net.InetAddress;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Live sessions, by id, with counts in total and per client address for the session limits.
 * Session ids are short, unique per process, and appear in every log line.
 */
public final class SessionRegistry {

    /** Why a new session was not admitted, or that it was. */
    enum Admission { ADMITTED, TOO_MANY, TOO_MANY_FROM_ADDRESS }

    private final Map<String, ControlSession> sessions = new ConcurrentHashMap<>();
    private final Map<InetAddress, AtomicInteger> perAddress = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();
    private final AtomicLong counter = new AtomicLong();

    String nextId() {
        return "s" + Long.toString(counter.incrementAndGet(), 36);
    }

    /** Admits a session within the limits (counting it), or says which limit it hit. */
    Admission admit(ControlSession s, InetAddress client, int maxTotal, int maxPerAddress) {
        if (total.incrementAndGet() > maxTotal) {
            total.decrementAndGet();
            return Admission.TOO_MANY;
        }
        AtomicInteger n = perAddress.compute(Addresses.unmap(client), (k, v) -> {
            AtomicInteger c = v == null ? new AtomicInteger() : v;
            c.incrementAndGet();
            return c;
        });
        if (n.get() > maxPerAddress) {
            release(client);
            return Admission.TOO_MANY_FROM_ADDRESS;
        }
        sessions.put(s.id(), s);
        return Admission.ADMITTED;
    }

    public java.util.Optional<ControlSession> find(String id) {
        return java.util.Optional.ofNullable(sessions.get(id));
    }

    /** Removes an admitted session. */
    void remove(ControlSession s, InetAddress client) {
        if (sessions.remove(s.id()) != null) {
            release(client);
        }
    }

    private void release(InetAddress client) {
        total.decrementAndGet();
        perAddress.computeIfPresent(Addresses.unmap(client), (k, v) -> v.decrementAndGet() <= 0 ? null : v);
    }

    public int size() {
        return sessions.size();
    }

    /** Sessions open from one client address (for tests and the admin side). */
    public int fromAddress(InetAddress client) {
        AtomicInteger n = perAddress.get(Addresses.unmap(client));
        return n == null ? 0 : n.get();
    }

    public Collection<ControlSession> sessions() {
        return sessions.values();
    }
}
