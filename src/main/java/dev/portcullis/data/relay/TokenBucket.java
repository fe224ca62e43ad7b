package dev.portcullis.data.relay;

import java.util.function.LongSupplier;

/**
 * A data rate limit: tokens are bytes, refilled at {@code rate} per second up to a small burst
 * (50 ms worth, at least 16 KiB). Bytes already read are always taken, which may leave the bucket
 * in debt; the caller then stops reading for the time {@link #take} returns, so the limit is
 * enforced by not reading, never by buffering. Thread-safe: the global bucket is shared by all
 * event loops.
 */
public final class TokenBucket {

    private final LongSupplier nanoClock;
    private volatile long rate;
    private long tokens;
    private long lastNanos;

    public TokenBucket(long bytesPerSecond, LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        this.rate = bytesPerSecond;
        this.lastNanos = nanoClock.getAsLong();
        this.tokens = burst(bytesPerSecond);
    }

    private static long burst(long rate) {
        return Math.max(16 * 1024, rate / 20);
    }

    public long rate() {
        return rate;
    }

    /** A new rate (reload); 0 turns the limit off. */
    public synchronized void rate(long bytesPerSecond) {
        refill();
        rate = bytesPerSecond;
        tokens = Math.min(tokens, burst(bytesPerSecond));
    }

    /**
     * Takes {@code bytes} (already read).
     *
     * @return nanoseconds the reader should pause before reading again; 0 if none
     */
    public synchronized long take(long bytes) {
        if (rate <= 0) {
            return 0;
        }
        refill();
        tokens -= bytes;
        return tokens >= 0 ? 0 : (-tokens) * 1_000_000_000L / rate;
    }

    private void refill() {
        long now = nanoClock.getAsLong();
        long elapsed = Math.min(now - lastNanos, 1_000_000_000L); // a full burst after a second; no overflow
        lastNanos = now;
        if (rate > 0 && elapsed > 0) {
            tokens = Math.min(burst(rate), tokens + elapsed * rate / 1_000_000_000L);
        }
    }
}
