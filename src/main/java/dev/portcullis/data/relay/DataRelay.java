package dev.portcullis.data.relay;

import dev.portcullis.data.splice.SpliceTransfer;
import dev.portcullis.data.splice.SpliceService;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import java.util.function.Consumer;

/**
 * Relays the bytes of one data connection between the client side and the backend side. Both
 * channels start with AUTO_READ off; nothing is read until both sides are attached. Back-pressure
 * follows writability: when one side's outbound buffer passes its high water mark, the other side
 * stops reading until it drains, so a slow reader bounds the memory of a transfer. When a side
 * closes, what was read from it is flushed to the other side, which then gets a FIN (endOutput);
 * when a side is reset, the other side is reset too. Runs on the session's event loop only.
 */
public final class DataRelay {

    public enum Side {
        CLIENT, BACKEND;

        Side other() {
            return this == CLIENT ? BACKEND : CLIENT;
        }
    }

    /** What the relay knows of one side. */
    private static final class SideState {
        /** Its channel has closed. */
        boolean closed;
        /** A connection for it is being made: the relay waits for it. */
        boolean connecting;
        /** Its peer's stream is over and its own output is being ended: what it sends is dropped. */
        boolean ending;
        /** It has been sent every byte and a FIN; it stays open until its peer closes (see endOutput). */
        boolean ended;
        /** It failed (reset, TLS error, idle limit) rather than ended: its peer is reset, not ended. */
        boolean broken;
        /** Bytes meant for it never reached it. */
        boolean lost;
        /** Paused for its rate limit. */
        boolean throttled;
        /** Bytes it sent after its output was ended (at most DRAIN_LIMIT are read). */
        long drained;
        /** Bytes read from it before its peer was there, or while the relay was handed to a splice worker. */
        final Deque<ByteBuf> held = new ArrayDeque<>();
        /**
         * Bytes Netty read from it while it was paused for its rate: epoll drains a socket whose
         * sender has closed even with AUTO_READ off. They are sent on at the rate, not at once; at
         * most that socket's receive buffer.
         */
        final Deque<ByteBuf> paced = new ArrayDeque<>();
    }

    private Channel client;
    private Channel backend;
    private final SideState clientSide = new SideState();
    private final SideState backendSide = new SideState();
    private boolean done;
    private boolean aborted;
    private long clientToBackend;
    private long backendToClient;
    private final long startedNanos = System.nanoTime();
    private Consumer<DataRelay> onDone = r -> { };
    private List<TokenBucket> buckets = List.of();

    /** Small reads for rate-limited relays: the limit is then exact to within one read. */
    private static final AdaptiveRecvByteBufAllocator THROTTLED_READS = new AdaptiveRecvByteBufAllocator(4096, 16 * 1024, 64 * 1024);

    private SpliceService splice;
    private long idleNanos;
    /** Between the hand-off's start and its end Netty may still read a little: kept in the held queues. */
    private boolean handingOff;
    private SpliceTransfer spliced;
    private boolean spliceRunning;
    private boolean zeroCopyEligible;
    /**
     * Bytes a relay moves by copying before it is handed to a splice worker: a listing or a small
     * file is over before a hand-off (two deregistrations, a thread hop, two registrations) would pay.
     */
    static final long ZERO_COPY_AFTER = 1024 * 1024;
    /** How long a side that got its FIN may stay open waiting for its peer to close. */
    static final long LINGER_MILLIS = 5_000;
    /**
     * What an ended side may still send before it is closed at once: enough for a TLS record or a
     * server's chatter, not a stream (a client still uploading after the server gave up with 552).
     */
    static final int DRAIN_LIMIT = 64 * 1024;

    /**
     * Moves this relay's bytes with splice(2) when both sides turn out to be plain epoll sockets
     * (and no rate limit applies); set before attaching.
     */
    public void zeroCopy(SpliceService service, java.time.Duration idle) {
        this.splice = service;
        this.idleNanos = idle.toNanos();
    }

    /** Rate limits (per session, global) every byte of this relay is taken from; set before attaching. */
    public void throttle(List<TokenBucket> limits) {
        this.buckets = List.copyOf(limits);
    }

    public void onDone(Consumer<DataRelay> callback) {
        this.onDone = callback;
        if (done) {
            callback.accept(this);
        }
    }

    /**
     * Attaches one side. A side that arrives after the relay was aborted, or after the other side
     * already came and went, is closed at once.
     */
    public void attach(Side side, Channel ch) {
        if (done || channel(side) != null) {
            ch.close();
            return;
        }
        if (side == Side.CLIENT) {
            client = ch;
        } else {
            backend = ch;
        }
        if (!buckets.isEmpty()) {
            ch.config().setRecvByteBufAllocator(THROTTLED_READS);
        }
        ch.pipeline().addLast("relay", new RelayHandler(side));
        ch.closeFuture().addListener(f -> sideClosed(side));
        if (client != null && backend != null) {
            zeroCopyEligible = splice != null && buckets.isEmpty() && SpliceService.canSplice(client, backend);
            // Data that arrived before the peer was there (a peer that sent and closed at once) goes first.
            flushHeld(Side.CLIENT, backend);
            flushHeld(Side.BACKEND, client);
            if (clientSide.closed) {
                endOutput(Side.BACKEND);
            } else if (backendSide.closed) {
                endOutput(Side.CLIENT);
            } else {
                client.config().setAutoRead(true);
                backend.config().setAutoRead(true);
            }
        }
    }

    // ---------------------------------------------------------------- zero-copy hand-off

    /**
     * Takes both sockets away from Netty and gives them to a splice worker. Bytes Netty reads while
     * letting go are kept in the held queues, uncounted, and sent first by the worker, in order.
     */
    private void handOff() {
        handingOff = true;
        Channel c = client;
        Channel b = backend;
        c.config().setAutoRead(false);
        b.config().setAutoRead(false);
        // What Netty already took for either socket must reach it before the worker writes there:
        // an empty write completes only after every write before it.
        c.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(wc -> b.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(wb -> {
            if (!wc.isSuccess() || !wb.isSuccess()) {
                fallBackToCopy();
                return;
            }
            c.deregister().addListener(fc -> b.deregister().addListener(fb -> afterDeregister(fc.isSuccess() && fb.isSuccess())));
        }));
    }

    /** Runs on the relay's event loop (deregistration completes there). */
    private void afterDeregister(boolean ok) {
        if (done || !ok || clientSide.closed || backendSide.closed || !client.isOpen() || !backend.isOpen()) {
            // Aborted, or a side ended while letting go: its descriptor may be gone, so no splicing;
            // take the sockets back and finish on the copy path.
            fallBackToCopy();
            return;
        }
        try {
            spliced = splice.start((io.netty.channel.epoll.EpollSocketChannel) client, (io.netty.channel.epoll.EpollSocketChannel) backend,
                    clientSide.held, backendSide.held, idleNanos, () -> client.eventLoop().execute(this::spliceFinished));
        } catch (java.io.IOException e) {
            fallBackToCopy(); // no pipe to be had (descriptor limit): copy instead
            return;
        }
        spliceRunning = true;
    }

    /** The worker let go: count its bytes and take the sockets back. */
    private void spliceFinished() {
        spliceRunning = false;
        clientToBackend += spliced.bytesClientToBackend();
        backendToClient += spliced.bytesBackendToClient();
        backendSide.lost |= spliced.lostTowardsBackend();
        clientSide.lost |= spliced.lostTowardsClient();
        handingOff = false;
        int[] pending = {2};
        for (Channel ch : new Channel[] {client, backend}) {
            client.eventLoop().register(ch).addListener(f -> {
                if (--pending[0] == 0) {
                    afterSpliceReturned();
                }
            });
        }
    }

    /**
     * Both sockets are Netty's again. A side that was reset has its peer reset; otherwise the side
     * whose peer's stream ended cleanly gets its FIN (endOutput) and the other closes; an abort
     * closes both.
     */
    private void afterSpliceReturned() {
        SpliceTransfer t = spliced;
        Side failed = t.clientFailed() ? Side.CLIENT : t.backendFailed() ? Side.BACKEND : null;
        Side ending = t.clientEnded() ? Side.BACKEND : t.backendEnded() ? Side.CLIENT : null;
        if (!t.abortRequested() && failed != null) {
            reset(channel(failed.other()));
            channel(failed).close();
        } else if (!t.abortRequested() && ending != null && channel(ending).isActive() && channel(ending).isRegistered()) {
            endOutput(ending);
            channel(ending.other()).close();
        } else {
            client.close();
            backend.close();
        }
    }

    private void fallBackToCopy() {
        handingOff = false;
        zeroCopyEligible = false; // one attempt per relay
        for (ByteBuf b : clientSide.held) {
            clientToBackend += b.readableBytes();
        }
        for (ByteBuf b : backendSide.held) {
            backendToClient += b.readableBytes();
        }
        int[] pending = {0};
        for (Channel ch : new Channel[] {client, backend}) {
            if (ch.isOpen() && !ch.isRegistered()) {
                pending[0]++;
                client.eventLoop().register(ch).addListener(f -> {
                    if (--pending[0] == 0) {
                        resumeCopy();
                    }
                });
            }
        }
        if (pending[0] == 0) {
            resumeCopy();
        }
    }

    /** The copy path from where the hand-off left it: what a side sent goes to the other, then closes follow. */
    private void resumeCopy() {
        if (done) {
            client.close();
            backend.close();
            return;
        }
        if (client.isActive()) {
            flushHeld(Side.BACKEND, client);
        }
        if (backend.isActive()) {
            flushHeld(Side.CLIENT, backend);
        }
        if (clientSide.closed || !client.isActive()) {
            endOutput(Side.BACKEND);
        } else if (backendSide.closed || !backend.isActive()) {
            endOutput(Side.CLIENT);
        } else {
            client.config().setAutoRead(true);
            backend.config().setAutoRead(true);
        }
    }

    private void flushHeld(Side from, Channel to) {
        Deque<ByteBuf> held = state(from).held;
        ByteBuf b;
        while ((b = held.poll()) != null) {
            to.write(b, to.voidPromise());
        }
        to.flush();
    }

    private SideState state(Side side) {
        return side == Side.CLIENT ? clientSide : backendSide;
    }

    private Channel channel(Side side) {
        return side == Side.CLIENT ? client : backend;
    }

    /**
     * FTP marks the end of data by closing. The side's last bytes are flushed, then (under TLS) its
     * close_notify, then a FIN; the socket stays open and is read, dropping what comes, until the
     * peer closes or {@link #LINGER_MILLIS} pass. Closing at once would be simpler, but a socket
     * closed with unread bytes in it (a TLS server's session tickets, a chatty server) is reset,
     * and the kernel throws away the part of the transfer it had not sent yet.
     */
    private void endOutput(Side side) {
        Channel ch = channel(side);
        state(side).ending = true;
        ch.config().setAutoRead(true);
        ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(flushed -> {
            if (!flushed.isSuccess()) {
                state(side).lost = true; // the side went away before its last bytes
                ch.close();
                return;
            }
            io.netty.handler.ssl.SslHandler tls = ch.pipeline().get(io.netty.handler.ssl.SslHandler.class);
            if (tls != null) {
                tls.closeOutbound().addListener(notified -> shutdownOutput(side, ch));
            } else {
                shutdownOutput(side, ch);
            }
        });
    }

    private void shutdownOutput(Side side, Channel ch) {
        if (!(ch instanceof io.netty.channel.socket.DuplexChannel duplex) || !ch.isActive()) {
            ch.close();
            return;
        }
        HalfClose.shutdownOutput(duplex).addListener(f -> {
            if (!f.isSuccess()) {
                ch.close();
                return;
            }
            state(side).ended = true;
            var linger = ch.eventLoop().schedule(() -> {
                ch.close();
            }, LINGER_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
            ch.closeFuture().addListener(c -> linger.cancel(false));
            finishIfOver();
        });
    }

    /** Done when each side has closed or has been given all its bytes and a FIN. */
    private void finishIfOver() {
        if ((clientSide.closed || clientSide.ended) && (backendSide.closed || backendSide.ended)) {
            finish();
        }
    }

    /** Records that a connection for {@code side} is being made, so the relay waits for it. */
    public void connecting(Side side) {
        state(side).connecting = true;
    }

    public boolean isAttached(Side side) {
        return channel(side) != null;
    }

    /** True if any side is attached or on its way: the transfer's data may still be moving. */
    public boolean isEngaged() {
        return client != null || backend != null || clientSide.connecting || backendSide.connecting;
    }

    public boolean isDone() {
        return done;
    }

    /** Closes both sides at once (abort, expiry, failed transfer, session end); the relay is then done. */
    public void abort() {
        aborted |= !done;
        if (spliceRunning) {
            // The worker holds the descriptors: never close them under it; it lets go and the
            // sockets are closed when they are back (spliceFinished).
            spliced.abort();
            finish();
            return;
        }
        if (handingOff) {
            finish(); // afterDeregister sees done and closes them on the copy path
            return;
        }
        // A side that already has its FIN closes itself when its peer does (endOutput): closing it
        // here could reset it while the peer still reads the tail.
        if (client != null && !(done && clientSide.ended)) {
            client.close();
        }
        if (backend != null && !(done && backendSide.ended)) {
            backend.close();
        }
        finish();
    }

    /** True if the relay was aborted: the transfer must not be reported complete. */
    public boolean wasAborted() {
        return aborted;
    }

    /**
     * True if bytes meant for {@code side} never reached it. Only the transfer's own direction
     * counts: a download's client may close without taking what it never asked for.
     */
    public boolean lostBytesTowards(Side side) {
        return state(side).lost;
    }

    /** Whether this relay's bytes moved by splice (zero-copy) rather than through the event loop. */
    public boolean zeroCopied() {
        return spliced != null;
    }

    public long bytesClientToBackend() {
        return clientToBackend;
    }

    public long bytesBackendToClient() {
        return backendToClient;
    }

    public long elapsedNanos() {
        return System.nanoTime() - startedNanos;
    }

    private Channel peerOf(Side side) {
        return channel(side.other());
    }

    private void sideClosed(Side side) {
        state(side).closed = true;
        if (handingOff) {
            return; // afterDeregister or spliceFinished decides what follows
        }
        Channel peer = peerOf(side);
        Side peerSide = side.other();
        if (peer != null && peer.isActive() && state(side).broken) {
            // A reset or an idle limit is no end of data: the peer is reset too, as it would be
            // without the proxy, so that a server never stores half an upload as a whole one.
            reset(peer);
        } else if (peer != null && peer.isActive() && state(side).paced.isEmpty() && !state(peerSide).ending) {
            // Flush what was read from the closed side, then end the peer's stream: FTP marks end
            // of data by close. (Bytes still kept for the rate go first: resume ends the peer after them.)
            endOutput(peerSide);
        }
        // Done only when both sides came and went: a side still to come (an active connection not
        // yet made) may yet receive data that the closed side left unread in its socket.
        finishIfOver();
    }

    /** An abortive close: SO_LINGER 0 makes the kernel send a reset instead of a FIN. */
    private static void reset(Channel ch) {
        try {
            ch.config().setOption(io.netty.channel.ChannelOption.SO_LINGER, 0);
        } catch (io.netty.channel.ChannelException ignored) {
            // the socket is already gone: closing is all there is to do
        }
        ch.close();
    }

    private void finish() {
        if (!done) {
            done = true;
            releaseHeld(clientSide.held);
            releaseHeld(backendSide.held);
            releaseHeld(clientSide.paced);
            releaseHeld(backendSide.paced);
            onDone.accept(this);
        }
    }

    private static void releaseHeld(Deque<ByteBuf> held) {
        ByteBuf b;
        while ((b = held.poll()) != null) {
            b.release();
        }
    }

    /** Takes {@code n} bytes from every rate limit; the longest pause any of them asks for. */
    private long take(int n) {
        long wait = 0;
        for (TokenBucket b : buckets) {
            wait = Math.max(wait, b.take(n));
        }
        return wait;
    }

    /** A rate-limited relay passes a read on, or keeps it while the side is paused. */
    private void forwardLimited(Side side, Channel ch, Channel peer, ByteBuf buf) {
        if (state(side).throttled) {
            state(side).paced.add(buf);
            return;
        }
        int n = buf.readableBytes();
        peer.write(buf, peer.voidPromise());
        long wait = take(n);
        if (wait > 0) {
            state(side).throttled = true;
            ch.config().setAutoRead(false);
            ch.eventLoop().schedule(() -> resume(side, ch), wait, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    /**
     * The pause is over: what was kept goes on at the rate; then the side reads again, or, if it
     * has closed meanwhile, its peer is closed after the last byte (FTP's end of data).
     */
    private void resume(Side side, Channel ch) {
        Deque<ByteBuf> kept = state(side).paced;
        Channel peer = peerOf(side);
        while (!kept.isEmpty() && !done) {
            if (peer == null || !peer.isActive()) {
                state(side.other()).lost = true;
                releaseHeld(kept);
                break;
            }
            ByteBuf b = kept.poll();
            int n = b.readableBytes();
            peer.write(b, peer.voidPromise());
            long wait = take(n);
            if (wait > 0) {
                peer.flush();
                ch.eventLoop().schedule(() -> resume(side, ch), wait, java.util.concurrent.TimeUnit.NANOSECONDS);
                return;
            }
        }
        state(side).throttled = false;
        if (done || peer == null) {
            return;
        }
        peer.flush();
        if (state(side).closed) {
            Side peerSide = side.other();
            if (peer.isActive() && !state(peerSide).ending) {
                endOutput(peerSide);
            }
        } else if (ch.isActive() && peer.isWritable()) {
            ch.config().setAutoRead(true);
        }
    }

    private final class RelayHandler extends ChannelInboundHandlerAdapter {
        private final Side side;

        RelayHandler(Side side) {
            this.side = side;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Channel peer = peerOf(side);
            ByteBuf buf = (ByteBuf) msg;
            if (state(side).ending) { // (also once the relay is done: the side lingers until its peer closes)
                // Its peer's stream is over, so these bytes cannot be delivered; only the transfer's
                // own direction counts towards its verdict (lostBytesTowards).
                state(side.other()).lost = true;
                long drained = state(side).drained += buf.readableBytes();
                buf.release();
                if (drained > DRAIN_LIMIT) {
                    ctx.close(); // a stream, not a trailer: stop it
                }
                return;
            }
            if (done) {
                buf.release();
                return;
            }
            if (handingOff) {
                // Read by Netty while it let go of the socket: the splice worker sends it first.
                state(side).held.add(buf);
                return;
            }
            if (spliced != null) {
                buf.release(); // the worker has finished this transfer; the sockets are closing
                return;
            }
            if (side == Side.CLIENT) {
                clientToBackend += buf.readableBytes();
            } else {
                backendToClient += buf.readableBytes();
            }
            if (peer == null) {
                // Read before the peer attached: epoll reads a half-closed socket even with AUTO_READ
                // off. Keep it (bounded by that socket's receive buffer) for when the peer arrives.
                state(side).held.add(buf);
                return;
            }
            if (!peer.isActive()) {
                state(side.other()).lost = true; // the other side is gone: these bytes will never arrive
                buf.release();
                return;
            }
            if (!buckets.isEmpty()) {
                forwardLimited(side, ctx.channel(), peer, buf);
                return;
            }
            peer.write(buf, peer.voidPromise());
            if (zeroCopyEligible && !handingOff && spliced == null && clientToBackend + backendToClient >= ZERO_COPY_AFTER
                    && !clientSide.closed && !backendSide.closed) {
                peer.flush();
                handOff(); // a large transfer: the rest moves by splice
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            Channel peer = peerOf(side);
            if (peer != null && !state(side).ending) {
                peer.flush();
                if (!peer.isWritable()) {
                    ctx.channel().config().setAutoRead(false);
                }
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            Channel peer = peerOf(side);
            if (ctx.channel().isWritable() && peer != null && peer.isActive() && client != null && backend != null
                    && !state(side.other()).throttled && !handingOff && spliced == null) {
                peer.config().setAutoRead(true);
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent) {
                state(side).broken = true;
                ctx.close(); // a data connection that moves nothing for the idle time is given up
            } else {
                ctx.fireUserEventTriggered(evt);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // Resets and broken pipes end the transfer; the backend's reply tells the client.
            state(side).broken = true;
            ctx.close();
        }
    }
}
