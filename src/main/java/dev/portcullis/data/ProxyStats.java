package dev.portcullis.data;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters of security-relevant events, shared by all sessions. The Prometheus meters are built on
 * these later; tests read them directly.
 */
public final class ProxyStats {

    public final AtomicLong theftBlocked = new AtomicLong();
    public final AtomicLong bounceBlocked = new AtomicLong();
    public final AtomicLong sessionsTotal = new AtomicLong();
    public final AtomicLong transfers = new AtomicLong();
    public final AtomicLong protocolViolations = new AtomicLong();
}
