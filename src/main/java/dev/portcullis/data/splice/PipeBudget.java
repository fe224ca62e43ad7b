package dev.portcullis.data.splice;

import java.util.concurrent.atomic.AtomicLong;

/**
 * How large a splice pipe grows and how many bytes of grown pipes all transfers together may hold.
 *
 * <p>Why a budget: Linux charges every pipe's slots to the user that owns it. Past
 * {@code fs.pipe-user-pages-soft} (16,384 pages, 64 MiB, by default) an unprivileged process can
 * no longer grow pipes, and the pipes it creates get two slots instead of sixteen, which would
 * slow every later transfer to a crawl. Grown pipes are therefore handed out while they fit in the
 * budget (default half that soft limit); transfers beyond it keep the kernel's default pipes.
 */
final class PipeBudget {

    /** Linux's default pipe: 16 slots of one page. */
    static final int KERNEL_DEFAULT = 16 * 4096;

    private final AtomicLong bytesInUse = new AtomicLong();
    private final AtomicLong pipesGrown = new AtomicLong();
    private volatile int pipeSize;
    private volatile long limit;

    PipeBudget(int pipeSize, long limit) {
        configure(pipeSize, limit);
    }

    /** New settings apply to pipes grown from now on; grown pipes keep their size until they close. */
    void configure(int pipeSize, long limit) {
        this.pipeSize = pipeSize;
        this.limit = limit;
    }

    int pipeSize() {
        return pipeSize;
    }

    long limit() {
        return limit;
    }

    /** Takes room for one grown pipe: the size to ask the kernel for, or 0 (keep the default pipe). */
    int reserve() {
        int size = pipeSize;
        if (size <= KERNEL_DEFAULT) {
            return 0;
        }
        while (true) {
            long used = bytesInUse.get();
            if (used + size > limit) {
                return 0;
            }
            if (bytesInUse.compareAndSet(used, used + size)) {
                return size;
            }
        }
    }

    /** The kernel answered a reservation of {@code reserved} with a pipe of {@code granted} bytes (-1: refused). */
    long settle(int reserved, int granted) {
        if (granted <= KERNEL_DEFAULT) {
            bytesInUse.addAndGet(-reserved);
            return 0;
        }
        bytesInUse.addAndGet(granted - reserved);
        pipesGrown.incrementAndGet();
        return granted;
    }

    /** A grown pipe of {@code bytes} closed. */
    void release(long bytes) {
        if (bytes > 0) {
            bytesInUse.addAndGet(-bytes);
        }
    }

    long bytesInUse() {
        return bytesInUse.get();
    }

    long pipesGrown() {
        return pipesGrown.get();
    }
}
