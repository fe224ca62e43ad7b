package dev.portcullis.data.splice;

import io.netty.channel.epoll.Native;
import io.netty.channel.epoll.PortcullisEpollAccess;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A thread with an epoll instance of its own that moves the bytes of the plain data connections
 * handed to it with splice(2). Netty has let go of those sockets (deregistered them) for the time,
 * so nothing else reads or writes them; when a transfer ends the worker lets go in turn and the
 * relay's event loop takes them back to close them.
 */
final class SpliceWorker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("portcullis.data");

    private final FileDescriptor epoll = Native.newEpollCreate();
    private final FileDescriptor wakeup = Native.newEventFd();
    private final PortcullisEpollAccess.Events events = new PortcullisEpollAccess.Events(256);
    private final ConcurrentLinkedQueue<SpliceTransfer> incoming = new ConcurrentLinkedQueue<>();
    private final Map<Integer, SpliceTransfer> byFd = new HashMap<>();
    private final Thread thread;
    private volatile boolean closed;

    SpliceWorker(String name) throws IOException {
        Native.epollCtlAdd(epoll.intValue(), wakeup.intValue(), Native.EPOLLIN);
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    void submit(SpliceTransfer t) {
        incoming.add(t);
        Native.eventFdWrite(wakeup.intValue(), 1);
    }

    /** Ends a transfer at once (abort, session end); the worker lets go of its sockets within one wake-up. */
    void abort(SpliceTransfer t) {
        t.abortRequested = true;
        Native.eventFdWrite(wakeup.intValue(), 1);
    }

    private void run() {
        try {
            while (!closed) {
                int ready = PortcullisEpollAccess.epollWait(epoll, events, 1000);
                for (int i = 0; i < ready; i++) {
                    int fd = events.fd(i);
                    if (fd == wakeup.intValue()) {
                        Native.eventFdRead(wakeup.intValue());
                        continue;
                    }
                    SpliceTransfer t = byFd.get(fd);
                    if (t != null) {
                        onEvent(t, fd, events.events(i));
                    }
                }
                SpliceTransfer t;
                while ((t = incoming.poll()) != null) {
                    start(t);
                }
                sweep();
            }
        } catch (IOException | RuntimeException e) {
            if (!closed) {
                log.error("splice worker failed; its transfers are aborted: {}", e.toString());
            }
        } finally {
            for (SpliceTransfer t : new ArrayList<>(byFd.values())) {
                t.abortRequested = true;
                finish(t);
            }
            SpliceTransfer t;
            while ((t = incoming.poll()) != null) {
                t.abortRequested = true;
                t.release();
                t.onFinished.run();
            }
            events.free();
            closeQuietly(epoll);
            closeQuietly(wakeup);
        }
    }

    private void start(SpliceTransfer t) {
        byFd.put(t.clientFd, t);
        byFd.put(t.backendFd, t);
        try {
            Native.epollCtlAdd(epoll.intValue(), t.clientFd, 0);
            Native.epollCtlAdd(epoll.intValue(), t.backendFd, 0);
        } catch (IOException e) {
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

    private void onEvent(SpliceTransfer t, int fd, int ev) {
        boolean readable = (ev & Native.EPOLLIN) != 0;
        boolean hangup = (ev & (Native.EPOLLRDHUP | Native.EPOLLERR | 0x10 /* EPOLLHUP */)) != 0;
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
                Native.epollCtlMod(epoll.intValue(), t.clientFd, c);
                t.clientInterest = c;
            }
            int b = t.interest(t.backendFd);
            if (b != t.backendInterest) {
                Native.epollCtlMod(epoll.intValue(), t.backendFd, b);
                t.backendInterest = b;
            }
        } catch (IOException e) {
            t.abortRequested = true;
            finish(t);
        }
    }

    /** Aborted transfers and those idle for longer than their limit. */
    private void sweep() {
        long now = System.nanoTime();
        List<SpliceTransfer> ending = new ArrayList<>();
        for (SpliceTransfer t : byFd.values()) {
            if (t.abortRequested || now - t.lastActivity > t.idleNanos) {
                t.abortRequested = true;
                ending.add(t);
            }
        }
        ending.forEach(this::finish);
    }

    private void finish(SpliceTransfer t) {
        boolean clientKnown = byFd.remove(t.clientFd) != null;
        boolean backendKnown = byFd.remove(t.backendFd) != null;
        if (!clientKnown && !backendKnown) {
            return; // finished already
        }
        try {
            Native.epollCtlDel(epoll.intValue(), t.clientFd);
        } catch (IOException ignored) {
            // already gone
        }
        try {
            Native.epollCtlDel(epoll.intValue(), t.backendFd);
        } catch (IOException ignored) {
            // already gone
        }
        if (t.abortRequested || t.clientToBackend.sourceFailed || t.backendToClient.sourceFailed) {
            t.clientToBackend.lost |= t.clientToBackend.blockedOnWrite();
            t.backendToClient.lost |= t.backendToClient.blockedOnWrite();
        }
        t.release();
        t.onFinished.run();
    }

    private static void closeQuietly(FileDescriptor fd) {
        try {
            fd.close();
        } catch (IOException ignored) {
            // shutting down
        }
    }

    @Override
    public void close() {
        closed = true;
        Native.eventFdWrite(wakeup.intValue(), 1);
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
