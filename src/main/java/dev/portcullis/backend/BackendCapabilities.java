package dev.portcullis.backend;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * What the proxy learned about a backend: that it refused EPSV, so that sessions starting soon
 * after go straight to PASV instead of paying one refused command each. The memory expires
 * ({@link #EPSV_REFUSAL_MEMORY}): a server that refused EPSV once (a restart into another
 * configuration, a script, a member of a pool that is not all alike) is not taken to refuse it
 * forever. The session that saw the refusal keeps to PASV for its own remainder (see BackendDataSide).
 */
public final class BackendCapabilities {

    /** How long a refusal of EPSV is remembered for later sessions. */
    public static final Duration EPSV_REFUSAL_MEMORY = Duration.ofSeconds(60);

    private final LongSupplier nanoClock;
    private final long memoryNanos;
    private volatile long epsvRefusedAt;
    private volatile boolean epsvRefused;

    public BackendCapabilities() {
        this(System::nanoTime, EPSV_REFUSAL_MEMORY);
    }

    BackendCapabilities(LongSupplier nanoClock, Duration memory) {
        this.nanoClock = nanoClock;
        this.memoryNanos = memory.toNanos();
    }

    /** Whether a refusal of EPSV was seen within the memory. */
    public boolean epsvRefused() {
        return epsvRefused && nanoClock.getAsLong() - epsvRefusedAt < memoryNanos;
    }

    public void markEpsvRefused() {
        epsvRefusedAt = nanoClock.getAsLong();
        epsvRefused = true;
    }
}
