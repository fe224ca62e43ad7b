package dev.portcullis.control;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Live sessions, by id. Session ids are short, unique per process, and appear in every log line. */
public final class SessionRegistry {

    private final Map<String, ControlSession> sessions = new ConcurrentHashMap<>();
    private final AtomicLong counter = new AtomicLong();

    String nextId() {
        return "s" + Long.toString(counter.incrementAndGet(), 36);
    }

    void add(ControlSession s) {
        sessions.put(s.id(), s);
    }

    void remove(ControlSession s) {
        sessions.remove(s.id());
    }

    public int size() {
        return sessions.size();
    }

    public Collection<ControlSession> sessions() {
        return sessions.values();
    }
}
