package dev.portcullis.data.splice;

import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.SingleThreadIoEventLoop;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.epoll.Native;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A thread with an epoll loop of its own (Netty's EpollIoHandler, driving this worker's own I/O
 * handles) that moves the bytes of the plain data connections handed to it with splice(2). Netty's
 * event loops have let go of those sockets (deregistered them) for the time, so nothing else reads
 * or writes them; when a transfer ends the worker lets go in turn and the relay's event loop takes
 * them back to close them. Level-triggered: a socket is watched only for what its transfer can do.
 */
final class SpliceWorker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("portcullis.data");
    private static final int EPOLLHUP = 0x10;

    private final IoEventLoop loop;
    /** The transfers this worker runs; touched on its thread only. */
    private final Set<SpliceTransfer> running = new HashSet<>();

    SpliceWorker(String name) {
        loop = new SingleThreadIoEventLoop(null, new DefaultThreadFactory(name, true), EpollIoHandler.newFactory());
        loop.scheduleAtFixedRate(this::sweep, 1, 1, TimeUnit.SECONDS);
    }

    void submit(SpliceTransfer t) {
        try {
            loop.execute(() -> start(t));
        } catch (RejectedExecutionException closing) {
            t.abortRequested = true;
            t.release();
            t.onFinished.run();
        }
    }

    /** Ends a transfer at once (abort, session end); the worker lets go of its sockets on its next turn. */
    void abort(SpliceTransfer t) {
        t.abortRequested = true;
        try {
            loop.execute(() -> {
                if (running.contains(t)) {
                    finish(t);
                }
            });
        } catch (RejectedExecutionException closing) {
            // the worker is closing: it aborts what it still runs
        }
    }

    /** One socket of a transfer, as the worker's epoll loop sees it; the socket itself stays Netty's channel's. */
    private final class Watched implements EpollIoHandle {
        private final SpliceTransfer transfer;
        private final FileDescriptor fd;

        Watched(SpliceTransfer transfer, int fd) {
            this.transfer = transfer;
            this.fd = new FileDescriptor(fd);
        }

        @Override
        public FileDescriptor fd() {
            return fd;
        }

        @Override
        public void handle(IoRegistration registration, IoEvent event) {
            if (running.contains(transfer)) {
                onEvent(transfer, fd.intValue(), ((EpollIoEvent) event).ops().value());
            }
        }

        @Override
        public void close() {
            // the descriptor belongs to its channel, which closes it
        }
    }

    private void start(SpliceTransfer t) {
        running.add(t);
        try {
            t.clientRegistration = register(new Watched(t, t.clientFd));
            t.backendRegistration = register(new Watched(t, t.backendFd));
        } catch (Exception e) {
            t.abortRequested = true; // never watched: the transfer cannot be completed
            t.clientToBackend.fail();
            t.backendToClient.fail();
            t.clientToBackend.lost = true;
            t.backendToClient.lost = true;
        }
        if (!t.abortRequested) {
            // Bytes Netty read before the hand-off go first; then whatever the sockets hold.
            pump(t, t.clientToBackend, true, false);
            pump(t, t.backendToClient, true, false);
        }
        after(t);
    }

    /** Registers on this worker's loop, from its own thread: done when it returns. */
    private IoRegistration register(EpollIoHandle handle) throws Exception {
        Future<IoRegistration> f = loop.register(handle);
        if (!f.isSuccess()) {
            throw new IOException("cannot watch descriptor " + handle.fd().intValue(), f.cause());
        }
        return f.getNow();
    }

    private void onEvent(SpliceTransfer t, int fd, int ev) {
        boolean readable = (ev & Native.EPOLLIN) != 0;
        boolean hangup = (ev & (Native.EPOLLRDHUP | Native.EPOLLERR | EPOLLHUP)) != 0;
        SpliceTransfer.Direction out = fd == t.clientFd ? t.clientToBackend : t.backendToClient;
        SpliceTransfer.Direction in = fd == t.clientFd ? t.backendToClient : t.clientToBackend;
        pump(t, out, readable, hangup);
        pump(t, in, false, false);
        after(t);
    }

    private static void pump(SpliceTransfer t, SpliceTransfer.Direction d, boolean readable, boolean hangup) {
        if (d.failed) {
            return;
        }
        long before = d.moved;
        try {
            d.pump(readable, hangup);
        } catch (IOException destinationFailed) {
            d.fail();
        }
        if (d.moved != before) {
            t.lastActivity = System.nanoTime();
        }
    }

    /** Finishes the transfer if it is over; otherwise brings the epoll interest up to date. */
    private void after(SpliceTransfer t) {
        if (t.finished()) {
            finish(t);
            return;
        }
        try {
            int c = t.interest(t.clientFd);
            if (c != t.clientInterest) {
                t.clientRegistration.submit(ops(c));
                t.clientInterest = c;
            }
            int b = t.interest(t.backendFd);
            if (b != t.backendInterest) {
                t.backendRegistration.submit(ops(b));
                t.backendInterest = b;
            }
        } catch (RuntimeException e) {
            t.abortRequested = true;
            finish(t);
        }
    }

    /**
     * The epoll interest for an interest mask; none at all is EPOLLERR alone (reported anyway): Netty
     * 4.2 takes NONE as removing the descriptor from the set, and a later change then fails (ENOENT).
     */
    private static EpollIoOps ops(int interest) {
        return EpollIoOps.valueOf(interest == 0 ? Native.EPOLLERR : interest);
    }

    /** Aborted transfers and those idle for longer than their limit. */
    private void sweep() {
        long now = System.nanoTime();
        List<SpliceTransfer> ending = new ArrayList<>();
        for (SpliceTransfer t : running) {
            if (t.abortRequested || now - t.lastActivity > t.idleNanos) {
                t.abortRequested = true;
                ending.add(t);
            }
        }
        ending.forEach(this::finish);
    }

    private void finish(SpliceTransfer t) {
        if (!running.remove(t)) {
            return; // finished already
        }
        cancel(t.clientRegistration);
        cancel(t.backendRegistration);
        if (t.abortRequested || t.clientToBackend.sourceFailed || t.backendToClient.sourceFailed) {
            t.clientToBackend.lost |= t.clientToBackend.blockedOnWrite();
            t.backendToClient.lost |= t.backendToClient.blockedOnWrite();
        }
        t.release();
        t.onFinished.run();
    }

    private static void cancel(IoRegistration r) {
        if (r != null && r.isValid()) {
            r.cancel();
        }
    }

    @Override
    public void close() {
        try {
            loop.execute(() -> {
                for (SpliceTransfer t : new ArrayList<>(running)) {
                    t.abortRequested = true;
                    finish(t);
                }
            });
        } catch (RejectedExecutionException closed) {
            return;
        }
        loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).awaitUninterruptibly(2000);
    }
}
