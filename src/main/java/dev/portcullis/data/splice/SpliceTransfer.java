package dev.portcullis.data.splice;

import io.netty.buffer.ByteBuf;
import io.netty.channel.epoll.Native;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * One data relay moved by splice(2): socket → pipe → socket, both directions, no byte through user
 * space. Owned by one {@link SpliceWorker} thread from hand-off to finish; the relay's event loop
 * hears of the end through {@code onFinished}.
 */
public final class SpliceTransfer {

    /** One direction: bytes Netty read before the hand-off (sent first), then a pipe. */
    final class Direction {
        final int src;
        final int dst;
        final FileDescriptor dstFd;
        /** The source, for reading what a receiver sends (the descriptor stays its channel's: never closed here). */
        final FileDescriptor srcFd;
        final FileDescriptor[] pipe; // [read end, write end]
        final Deque<ByteBuf> backlog = new ArrayDeque<>();
        long inPipe;
        long moved;
        boolean eof;
        /** The destination failed (reset, broken pipe): this direction is over, the other goes on. */
        boolean failed;
        /** Bytes of this direction never reached the destination. */
        boolean lost;
        /** The source ended with an error (reset), not a clean end of stream. */
        boolean sourceFailed;
        /** Whether growing the pipe was tried (once, when it first fills: only a direction that carries bulk). */
        boolean growthTried;
        /** Bytes of this pipe charged to the {@link PipeBudget}; 0 for a pipe of the kernel's default size. */
        long grownTo;

        Direction(int src, FileDescriptor dstFd, Deque<ByteBuf> before) throws IOException {
            this.src = src;
            this.dst = dstFd.intValue();
            this.dstFd = dstFd;
            this.srcFd = new FileDescriptor(src);
            this.pipe = FileDescriptor.pipe();
            backlog.addAll(before);
            before.clear();
        }

        /** This direction's source is the transfer's receiver: what it sends is read and dropped. */
        boolean fromReceiver() {
            return receiver == (this == clientToBackend ? RECEIVER_CLIENT : RECEIVER_BACKEND);
        }

        /** The source's stream ended cleanly, and it is the sender's: the transfer's data is all delivered. */
        boolean endsTransfer() {
            return done() && !fromReceiver();
        }

        /** The source failed (reset) and what it sent before is delivered, or cannot be. */
        boolean failedAndDrained() {
            return sourceFailed && (failed || !blockedOnWrite());
        }

        boolean blockedOnWrite() {
            return inPipe > 0 || !backlog.isEmpty();
        }

        /** The source's stream ended and every byte of it was delivered. */
        boolean done() {
            return eof && !failed && !blockedOnWrite();
        }

        /**
         * The destination failed: what this direction still held is lost. The other direction goes
         * on: a client that closes its data connection after an upload cannot take the few bytes a
         * server sent back, and that must not cut the upload short.
         */
        void fail() {
            lost |= blockedOnWrite();
            failed = true;
            eof = true;
            inPipe = 0; // the pipe's bytes are dropped with the pipe
            ByteBuf b;
            while ((b = backlog.poll()) != null) {
                b.release();
            }
        }

        /**
         * Moves what can be moved now without blocking.
         *
         * @param hangup the source reported RDHUP/HUP/ERR: a splice that reads nothing means end of stream
         * @throws IOException the destination failed (reset, broken pipe): bytes in flight are lost
         */
        void pump(boolean readable, boolean hangup) throws IOException {
            for (int round = 0; round < 64; round++) { // bounded: other transfers of this worker get their turn
                while (!backlog.isEmpty()) {
                    ByteBuf b = backlog.peek();
                    int n = write(dstFd, b);
                    if (n <= 0) {
                        return;
                    }
                    b.skipBytes(n);
                    moved += n;
                    if (b.isReadable()) {
                        return;
                    }
                    backlog.poll().release();
                }
                if (inPipe > 0) {
                    int n = Native.splice(pipe[0].intValue(), -1, dst, -1, inPipe);
                    if (n <= 0) {
                        return; // destination full: wait for EPOLLOUT
                    }
                    inPipe -= n;
                    moved += n;
                    continue;
                }
                if (eof || !(readable || hangup)) {
                    return;
                }
                if (fromReceiver()) {
                    discard();
                    return;
                }
                int n;
                try {
                    n = Native.splice(src, -1, pipe[1].intValue(), -1, CHUNK);
                } catch (IOException reset) {
                    eof = true; // the source failed: what it sent before is delivered, then the transfer ends
                    sourceFailed = true;
                    return;
                }
                if (n <= 0) {
                    if (hangup) {
                        eof = true;
                    }
                    return;
                }
                inPipe += n;
                if (!growthTried && inPipe >= PipeBudget.KERNEL_DEFAULT - 4096) {
                    grow();
                }
            }
        }

        /**
         * Reads and drops what the receiver sent (a download client's stray bytes): forwarded, they
         * would sit unread in the sender's socket and turn its close into a reset. Its end of stream
         * or failure is noted as for any source.
         */
        private void discard() {
            ByteBuffer scratch = DISCARDED.get();
            for (int round = 0; round < 16; round++) {
                int n;
                try {
                    n = srcFd.read(scratch, 0, scratch.capacity());
                } catch (IOException reset) {
                    eof = true;
                    sourceFailed = true;
                    return;
                }
                if (n < 0) {
                    eof = true;
                    return;
                }
                if (n == 0) {
                    return;
                }
            }
        }

        /** This direction carries bulk: a larger pipe moves a window's worth per call instead of 64 KiB. */
        private void grow() {
            growthTried = true;
            if (!PipeCapacity.available()) {
                return; // this JVM cannot grow pipes (the start line said so): nothing was refused
            }
            int reserved = pipes.reserve();
            if (reserved > 0) {
                grownTo = pipes.settle(reserved, PipeCapacity.grow(pipe[1].intValue(), reserved));
                if (grownTo == 0) {
                    PipeCapacity.refused(reserved);
                }
            }
        }

        void close() {
            pipes.release(grownTo);
            grownTo = 0;
            for (FileDescriptor f : pipe) {
                try {
                    f.close();
                } catch (IOException ignored) {
                    // closing a pipe end cannot lose data that matters any more
                }
            }
            ByteBuf b;
            while ((b = backlog.poll()) != null) {
                b.release();
            }
        }
    }

    static final int CHUNK = 1 << 20;

    /** The transfer's direction is not known yet: either side's end of stream ends it. */
    public static final int RECEIVER_UNKNOWN = 0;
    /** A download or listing: the client's end of stream does not end it. */
    public static final int RECEIVER_CLIENT = 1;
    /** An upload: the backend's end of stream does not end it. */
    public static final int RECEIVER_BACKEND = 2;

    /** Where a worker thread drops what receivers send. */
    private static final ThreadLocal<ByteBuffer> DISCARDED = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(16 * 1024));

    /** SpliceTransfer.RECEIVER_*; set by the relay's event loop, read by the worker. */
    private volatile int receiver = RECEIVER_UNKNOWN;

    /** Writes what it can of {@code b} (direct: Netty's reads on epoll always are) without blocking. */
    private static int write(FileDescriptor fd, ByteBuf b) throws IOException {
        if (b.hasMemoryAddress()) {
            return fd.writeAddress(b.memoryAddress(), b.readerIndex(), b.writerIndex());
        }
        java.nio.ByteBuffer nio = b.nioBuffer();
        return fd.write(nio, nio.position(), nio.limit());
    }

    final Direction clientToBackend;
    final Direction backendToClient;
    final int clientFd;
    final int backendFd;
    final long idleNanos;
    final Runnable onFinished;
    /** Where grown pipes are charged (and how large they grow). */
    final PipeBudget pipes;
    volatile boolean abortRequested;
    long lastActivity = System.nanoTime();
    int clientInterest = -1;
    int backendInterest = -1;
    /** The worker it runs on, once submitted, and its two sockets' registrations there. */
    SpliceWorker worker;
    io.netty.channel.IoRegistration clientRegistration;
    io.netty.channel.IoRegistration backendRegistration;

    SpliceTransfer(FileDescriptor client, FileDescriptor backend, Deque<ByteBuf> fromClient, Deque<ByteBuf> fromBackend,
                   long idleNanos, PipeBudget pipes, Runnable onFinished) throws IOException {
        this.pipes = pipes;
        this.clientFd = client.intValue();
        this.backendFd = backend.intValue();
        this.clientToBackend = new Direction(clientFd, backend, fromClient);
        Direction b2c;
        try {
            b2c = new Direction(backendFd, client, fromBackend);
        } catch (IOException e) {
            clientToBackend.close();
            throw e;
        }
        this.backendToClient = b2c;
        this.idleNanos = idleNanos;
        this.onFinished = onFinished;
    }

    /**
     * FTP ends a transfer by closing: once either side's stream has ended and been delivered, the
     * transfer is over; so it is when both destinations failed.
     */
    boolean finished() {
        return abortRequested || clientToBackend.endsTransfer() || backendToClient.endsTransfer()
                || clientToBackend.failedAndDrained() || backendToClient.failedAndDrained() || receiverUnreachable()
                || (clientToBackend.failed && backendToClient.failed);
    }

    /**
     * Writing to the transfer's receiver failed (it reset): the transfer cannot complete, whatever
     * becomes of the other direction. (With the direction unknown, only both failing ends it: a
     * client that closes after an upload may not take the server's last few bytes.) Its socket's
     * error is then spent, so its own direction may even read a clean end of stream afterwards.
     */
    private boolean receiverUnreachable() {
        return receiver == RECEIVER_CLIENT && backendToClient.failed || receiver == RECEIVER_BACKEND && clientToBackend.failed;
    }

    /** Which side receives the transfer's data (RECEIVER_*): its end of stream does not end the transfer. */
    public void receiver(int side) {
        this.receiver = side;
    }

    /** The epoll interest for {@code fd}: read while its outgoing pipe is empty, write while its incoming one is not. */
    int interest(int fd) {
        Direction out = fd == clientFd ? clientToBackend : backendToClient;
        Direction in = fd == clientFd ? backendToClient : clientToBackend;
        int flags = 0;
        if (!out.eof && !out.blockedOnWrite()) {
            flags |= Native.EPOLLIN | Native.EPOLLRDHUP;
        }
        if (in.blockedOnWrite()) {
            flags |= Native.EPOLLOUT;
        }
        return flags;
    }

    public long bytesClientToBackend() {
        return clientToBackend.moved;
    }

    public long bytesBackendToClient() {
        return backendToClient.moved;
    }

    /** Bytes from the client could not all be delivered to the backend. */
    public boolean lostTowardsBackend() {
        return clientToBackend.lost;
    }

    /** Bytes from the backend could not all be delivered to the client. */
    public boolean lostTowardsClient() {
        return backendToClient.lost;
    }

    /** The client's socket failed (a reset, read or, the client receiving the transfer, written), as opposed to ending its stream. */
    public boolean clientFailed() {
        return clientToBackend.sourceFailed || receiver == RECEIVER_CLIENT && backendToClient.failed;
    }

    public boolean backendFailed() {
        return backendToClient.sourceFailed || receiver == RECEIVER_BACKEND && clientToBackend.failed;
    }

    /** The client's stream ended and was delivered, and it was the sender's (see {@link #receiver}). */
    public boolean clientEnded() {
        return clientToBackend.endsTransfer();
    }

    public boolean backendEnded() {
        return backendToClient.endsTransfer();
    }

    public boolean abortRequested() {
        return abortRequested;
    }

    /** Ends the transfer at once; the worker lets go of the sockets within one wake-up and then reports. */
    public void abort() {
        worker.abort(this);
    }

    void release() {
        clientToBackend.close();
        backendToClient.close();
    }
}
