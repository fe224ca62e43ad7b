package dev.portcullis.log;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * One kind of log line that a flood could repeat without bound (a banned address reconnecting, a
 * peer that is not a trusted balancer): at most one line per interval, the next one saying how many
 * were left out. Counters and metrics still see every event; only the log is thinned.
 */
public final class RateLimitedLog {

    private final long intervalNanos;
    private final LongSupplier clock;
    private final AtomicLong nextAllowed;
    private final AtomicLong suppressed = new AtomicLong();

    public RateLimitedLog(Duration interval) {
        this(interval, System::nanoTime);
    }

    RateLimitedLog(Duration interval, LongSupplier clock) {
        this.intervalNanos = interval.toNanos();
        this.clock = clock;
        this.nextAllowed = new AtomicLong(clock.getAsLong());
    }

    public void info(Logger log, String format, Object... args) {
        long now = clock.getAsLong();
        long next = nextAllowed.get();
        if (now - next < 0 || !nextAllowed.compareAndSet(next, now + intervalNanos)) {
            suppressed.incrementAndGet();
            return;
        }
        long left = suppressed.getAndSet(0);
        if (left == 0) {
            log.info(format, args);
        } else {
            Object[] withCount = Arrays.copyOf(args, args.length + 1);
            withCount[args.length] = left;
            log.info(format + " ({} more like this left out of the log)", withCount);
        }
    }
}
