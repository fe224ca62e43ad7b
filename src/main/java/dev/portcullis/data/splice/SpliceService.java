package dev.portcullis.data.splice;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.ssl.SslHandler;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Zero-copy data relay: plain data connections on the epoll transport are moved by splice(2) on a
 * few {@link SpliceWorker} threads instead of being copied through the event loops. TLS data
 * connections, rate-limited ones and those behind a PROXY header stay on the copy path.
 */
public final class SpliceService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("portcullis.data");

    private final List<SpliceWorker> workers = new ArrayList<>();
    private final PipeBudget pipes = new PipeBudget(0, 0);
    private final AtomicInteger next = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong handedOff = new java.util.concurrent.atomic.AtomicLong();

    /** Relays handed to a splice worker so far. */
    public long relays() {
        return handedOff.get();
    }

    private SpliceService() {
    }

    /**
     * How large pipes of transfers that carry bulk grow (bytes; the kernel's default or less: they
     * do not), and how many bytes of grown pipes may be open at once. Applies to pipes grown from now on.
     */
    public void pipes(int pipeSize, long budget) {
        pipes.configure(pipeSize, budget);
    }

    PipeBudget pipes() {
        return pipes;
    }

    /** Bytes held by grown pipes now. */
    public long grownPipeBytes() {
        return pipes.bytesInUse();
    }

    /** Pipes grown beyond the kernel's default since start. */
    public long pipesGrown() {
        return pipes.pipesGrown();
    }

    /** What the start line says of the pipes: whether they grow, to what, and why not. */
    public String describePipes() {
        int size = pipes.pipeSize();
        if (size <= PipeBudget.KERNEL_DEFAULT) {
            return "pipes of the kernel's default size (data.splice-pipe-size)";
        }
        if (!PipeCapacity.available()) {
            return "pipes of the kernel's default size: " + PipeCapacity.unavailableBecause();
        }
        return "pipes of bulk transfers grow to " + size / 1024 + " KiB (at most " + pipes.limit() / 1024 + " KiB of them at once)";
    }

    /** Starts {@code threads} workers; null (copy path only) if they cannot start here. */
    public static SpliceService start(int threads) {
        SpliceService s = new SpliceService();
        try {
            for (int i = 0; i < threads; i++) {
                s.workers.add(new SpliceWorker("portcullis-splice-" + i));
            }
            return s;
        } catch (LinkageError | RuntimeException e) {
            log.warn("zero-copy relay unavailable ({}); data is copied", e.toString());
            s.close();
            return null;
        }
    }

    /** Whether both sides of a relay can be spliced: plain sockets of the epoll transport, nothing between. */
    public static boolean canSplice(Channel a, Channel b) {
        return plain(a) && plain(b);
    }

    private static boolean plain(Channel ch) {
        return ch instanceof EpollSocketChannel && ch.pipeline().get(SslHandler.class) == null
                && ch.pipeline().get("proxy-header-gate") == null;
    }

    /**
     * Hands two deregistered sockets to a worker, with what each side had sent that is not yet
     * delivered, and which side receives the transfer's data (SpliceTransfer.RECEIVER_*); {@code onFinished} runs on the worker's thread when it has let go of both.
     *
     * @throws IOException no pipe could be had (descriptor limit): the caller copies instead
     */
    public SpliceTransfer start(EpollSocketChannel client, EpollSocketChannel backend, java.util.Deque<io.netty.buffer.ByteBuf> fromClient,
                                java.util.Deque<io.netty.buffer.ByteBuf> fromBackend, long idleNanos, int receiver, Runnable onFinished)
            throws java.io.IOException {
        SpliceTransfer t = new SpliceTransfer(client.fd(), backend.fd(), fromClient, fromBackend, idleNanos, pipes(), onFinished);
        t.receiver(receiver);
        t.worker = worker();
        t.worker.submit(t);
        return t;
    }

    private SpliceWorker worker() {
        handedOff.incrementAndGet();
        return workers.get(Math.floorMod(next.getAndIncrement(), workers.size()));
    }

    @Override
    public void close() {
        workers.forEach(SpliceWorker::close);
    }
}
