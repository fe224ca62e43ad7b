package dev.portcullis.data.relay;

import dev.portcullis.data.splice.SpliceService;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

/**
 * Relays the bytes of one data connection between the client side and the backend side. Both
 * channels start with AUTO_READ off; nothing is read until both sides are attached. Back-pressure
 * follows writability: when one side's outbound buffer passes its high water mark, the other side
 * stops reading until it drains, so a slow reader bounds the memory of a transfer. When a side
 * closes, what was read from it is flushed to the other side, which then gets a FIN (endOutput);
 * when a side is reset, the other side is reset too. Once the transfer command is known, only the
 * sender's end of stream ends the data: a receiver that half-closes still gets the rest, and what a
 * receiver sends is dropped (see {@link #receiver}). Runs on the session's event loop only.
 */
public final class DataRelay {

    public enum Side {
        CLIENT, BACKEND;

        Side other() {
            return this == CLIENT ? BACKEND : CLIENT;
        }
    }

    private Channel client;
    private Channel backend;
    private final RelaySide clientSide = new RelaySide();
    private final RelaySide backendSide = new RelaySide();
    private boolean done;
    private boolean aborted;
    private long clientToBackend;
    private long backendToClient;
    private final long startedNanos = System.nanoTime();
    private Consumer<DataRelay> onDone = r -> { };
    private RelayPacer pacer;
    private SpliceHandOff zeroCopy;
    /** The side the transfer's data goes to, once the transfer command is known; null before. */
    private Side receiver;

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
        this.zeroCopy = new SpliceHandOff(this, service, idle.toNanos());
    }

    /** Rate limits (per session, global) every byte of this relay is taken from; set before attaching. */
    public void throttle(List<TokenBucket> limits) {
        this.pacer = limits.isEmpty() ? null : new RelayPacer(this, limits);
    }

    /**
     * The transfer command is known: its data goes to {@code side} (the client for RETR and the
     * listings, the backend for STOR, STOU and APPE). Only the other side's end of stream ends the
     * transfer; the receiver's end says it sends nothing more, not that it has everything, and
     * what the receiver sends is no part of the transfer and is dropped.
     */
    public void receiver(Side side) {
        this.receiver = side;
        if (zeroCopy != null) {
            zeroCopy.receiver(side);
        }
    }

    /** True if data of this transfer goes to {@code side} (known once the transfer command is). */
    boolean isReceiver(Side side) {
        return receiver == side;
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
        if (pacer != null) {
            ch.config().setRecvByteBufAllocator(RelayPacer.THROTTLED_READS);
        }
        // An end of stream is reported (inputEnded) instead of closing the channel: whether it ends
        // the transfer depends on the transfer's direction.
        ch.config().setOption(io.netty.channel.ChannelOption.ALLOW_HALF_CLOSURE, true);
        ch.pipeline().addLast("relay", new RelayHandler(this, side));
        ch.closeFuture().addListener(f -> sideClosed(side));
        if (client != null && backend != null) {
            if (zeroCopy != null && pacer == null) {
                zeroCopy.bothAttached(client, backend);
            }
            // Data that arrived before the peer was there (a peer that sent and closed at once) goes first.
            flushHeld(Side.CLIENT, backend);
            flushHeld(Side.BACKEND, client);
            if (clientSide.closed) {
                passOnClose(Side.CLIENT);
            } else if (backendSide.closed) {
                passOnClose(Side.BACKEND);
            } else {
                client.config().setAutoRead(true);
                backend.config().setAutoRead(true);
            }
        }
    }

    /** The copy path from where the hand-off left it: what a side sent goes to the other, then closes follow. */
    void resumeCopy() {
        if (done) {
            // A side that already has every byte and its FIN closes itself when its peer does
            // (endOutput): closing it here, with bytes it sent still unread, would reset it and
            // throw away what its kernel had not sent yet, behind a 226.
            if (!clientSide.ended) {
                client.close();
            }
            if (!backendSide.ended) {
                backend.close();
            }
            return;
        }
        if (client.isActive()) {
            flushHeld(Side.BACKEND, client);
        }
        if (backend.isActive()) {
            flushHeld(Side.CLIENT, backend);
        }
        if (clientSide.closed || !client.isActive()) {
            passOnClose(Side.CLIENT);
        } else if (backendSide.closed || !backend.isActive()) {
            passOnClose(Side.BACKEND);
        } else {
            client.config().setAutoRead(true);
            backend.config().setAutoRead(true);
        }
    }

    /**
     * {@code closed} went away while its peer could not hear of it at once (before the peer was
     * attached, or while the relay was with a splice worker): the peer now gets what {@code closed}
     * sent and, as {@link #sideClosed} would have given it, a FIN after a clean end but a reset
     * after a failure. A side gone without its own close seen yet (it is closing) counts as failed:
     * a FIN is a complete upload to an FTP server, and only a clean end may send one.
     */
    private void passOnClose(Side closed) {
        Channel peer = channel(closed.other());
        if (state(closed).broken || !state(closed).closed) {
            if (peer.isActive()) {
                reset(peer);
            }
            return;
        }
        endOutput(closed.other());
    }

    private void flushHeld(Side from, Channel to) {
        Deque<ByteBuf> held = state(from).held;
        ByteBuf b;
        while ((b = held.poll()) != null) {
            to.write(b, to.voidPromise());
        }
        to.flush();
    }

    RelaySide state(Side side) {
        return side == Side.CLIENT ? clientSide : backendSide;
    }

    Channel channel(Side side) {
        return side == Side.CLIENT ? client : backend;
    }

    /**
     * FTP marks the end of data by closing. The side's last bytes are flushed, then (under TLS) its
     * close_notify, then a FIN; the socket stays open and is read, dropping what comes, until the
     * peer closes or {@link #LINGER_MILLIS} pass. Closing at once would be simpler, but a socket
     * closed with unread bytes in it (a TLS server's session tickets, a chatty server) is reset,
     * and the kernel throws away the part of the transfer it had not sent yet.
     */
    void endOutput(Side side) {
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
                // A 0-byte transfer can end before its TLS handshake has: close_notify then would
                // cut the handshake short (the peer sees garbage or WRONG_VERSION_NUMBER). Wait for it.
                tls.handshakeFuture().addListener(shaken -> {
                    if (!shaken.isSuccess()) {
                        state(side).lost = true;
                        ch.close();
                        return;
                    }
                    tls.closeOutbound().addListener(notified -> shutdownOutput(side, ch));
                });
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
            if (state(side).inputEnded) {
                ch.close(); // both ways over: nothing left to read, so closing cannot reset
                finishIfOver();
                return;
            }
            var linger = ch.eventLoop().schedule(() -> {
                ch.close();
            }, LINGER_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
            ch.closeFuture().addListener(c -> linger.cancel(false));
            finishIfOver();
        });
    }

    /**
     * {@code side} ended its stream (a FIN; the channel stays open, half-closed). The sender's end
     * is the end of the data: the channel closes and {@link #sideClosed} ends the peer after the
     * last bytes. A receiver's end is not: it is still sent the rest of the data and closes once its
     * own output has ended. With the direction not known yet, any end counts as the sender's.
     */
    void inputEnded(Side side) {
        RelaySide st = state(side);
        st.inputEnded = true;
        Channel ch = channel(side);
        if (side == receiver && !st.ended && !done) {
            return;
        }
        ch.close();
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
        if (zeroCopy != null && zeroCopy.abort()) {
            finish(); // the hand-off closes the sockets when they are back from the worker
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
        return zeroCopy != null && zeroCopy.happened();
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
        if (state(side).broken && !state(side).ended) {
            // It failed before it was given everything and a FIN (a reset, or its TLS engine closed
            // under the relay's writes): what was on its way to it is lost, and for a receiver
            // that is no complete transfer, whatever the backend answers (lostBytesTowards).
            state(side).lost = true;
        }
        if (zeroCopy != null && zeroCopy.inProgress()) {
            return; // the hand-off decides what follows
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
    public static void reset(Channel ch) {
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
            clientSide.releaseBuffers();
            backendSide.releaseBuffers();
            onDone.accept(this);
        }
    }

    /** Bytes read from {@code side}, counted towards its direction. */
    void count(Side side, long bytes) {
        if (side == Side.CLIENT) {
            clientToBackend += bytes;
        } else {
            backendToClient += bytes;
        }
    }

    boolean bothAttached() {
        return client != null && backend != null;
    }

    SpliceHandOff zeroCopyHandOff() {
        return zeroCopy;
    }

    /** The rate limiting forwarder, or null when no limit applies. */
    RelayPacer pacer() {
        return pacer;
    }
}
