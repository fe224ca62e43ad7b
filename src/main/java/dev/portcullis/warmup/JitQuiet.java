package dev.portcullis.warmup;

/**
 * When a training run has trained enough: its JIT compiler took at most a share of the JVM's CPU
 * over the last window. A cache written while the JIT is still busy holds immature profiles, and
 * instances started from it were slower than those without one (RESULTS.md, 2026-12-04); a fixed
 * duration cannot know how fast a machine matures its JIT, the compile share can.
 *
 * @param maxShare the JIT's largest share of the JVM's CPU over a window that counts as quiet
 */
public record JitQuiet(double maxShare) {

    public JitQuiet {
        if (!(maxShare > 0 && maxShare < 1)) {
            throw new IllegalArgumentException("maxShare must be between 0 and 1, exclusive: " + maxShare);
        }
    }

    /**
     * @param compileMillis milliseconds the compiler threads spent in the window
     * @param cpuNanos      the JVM's CPU time in the same window, every thread
     * @return whether the window was quiet (a window without any CPU tells nothing: not quiet)
     */
    public boolean quiet(long compileMillis, long cpuNanos) {
        return cpuNanos > 0 && share(compileMillis, cpuNanos) <= maxShare;
    }

    /** The JIT's share of the JVM's CPU in a window, 0 when there was no CPU. */
    public static double share(long compileMillis, long cpuNanos) {
        return cpuNanos <= 0 ? 0 : Math.min(1.0, compileMillis * 1_000_000.0 / cpuNanos);
    }
}
