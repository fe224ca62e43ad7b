package dev.portcullis.data.relay;

import dev.portcullis.data.relay.DataRelay.Side;
import dev.portcullis.data.splice.SpliceService;
import dev.portcullis.data.splice.SpliceTransfer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollSocketChannel;
import java.io.IOException;

/**
 * A {@link DataRelay}'s move to zero-copy: once a plain transfer has carried
 * {@link #ZERO_COPY_AFTER} bytes, both sockets are taken from Netty and given to a splice worker;
 * when the worker lets go they come back and the relay ends them as the worker saw them end. One
 * attempt per relay; any failure on the way falls back to copying. Event loop only.
 */
final class SpliceHandOff {

    /**
     * Bytes a relay moves by copying before it is handed to a splice worker: a listing or a small
     * file is over before a hand-off (two deregistrations, a thread hop, two registrations) would pay.
     */
    static final long ZERO_COPY_AFTER = 1024 * 1024;

    private final DataRelay relay;
    private final SpliceService service;
    private final long idleNanos;
    private boolean eligible;
    /** Between the hand-off's start and its end Netty may still read a little: kept in the held queues. */
    private boolean inProgress;
    private SpliceTransfer transfer;
    private boolean running;
    /** SpliceTransfer.RECEIVER_*: which side's end of stream does not end the transfer. */
    private int receiver = SpliceTransfer.RECEIVER_UNKNOWN;

    SpliceHandOff(DataRelay relay, SpliceService service, long idleNanos) {
        this.relay = relay;
        this.service = service;
        this.idleNanos = idleNanos;
    }

    /** Both sides are attached: splicing is possible if both are plain epoll sockets. */
    void bothAttached(Channel client, Channel backend) {
        eligible = SpliceService.canSplice(client, backend);
    }

    /** The transfer's direction became known (see DataRelay.receiver); a running worker hears of it too. */
    void receiver(Side side) {
        receiver = side == Side.CLIENT ? SpliceTransfer.RECEIVER_CLIENT : SpliceTransfer.RECEIVER_BACKEND;
        if (transfer != null) {
            transfer.receiver(receiver);
        }
    }

    /** True while the sockets are on their way to or from the worker. */
    boolean inProgress() {
        return inProgress;
    }

    /** True if a worker took this relay's sockets (its bytes moved by splice). */
    boolean happened() {
        return transfer != null;
    }

    /** True if the transfer has moved enough to be handed off now. */
    boolean due() {
        return eligible && !inProgress && transfer == null && relay.bytesClientToBackend() + relay.bytesBackendToClient() >= ZERO_COPY_AFTER
                && !relay.state(Side.CLIENT).closed && !relay.state(Side.BACKEND).closed
                && !relay.state(Side.CLIENT).inputEnded && !relay.state(Side.BACKEND).inputEnded;
    }

    /**
     * Takes both sockets away from Netty and gives them to a splice worker. Bytes Netty reads while
     * letting go are kept in the held queues, uncounted, and sent first by the worker, in order.
     */
    void start() {
        inProgress = true;
        Channel c = relay.channel(Side.CLIENT);
        Channel b = relay.channel(Side.BACKEND);
        c.config().setAutoRead(false);
        b.config().setAutoRead(false);
        // What Netty already took for either socket must reach it before the worker writes there:
        // an empty write completes only after every write before it.
        c.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(wc -> b.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(wb -> {
            if (!wc.isSuccess() || !wb.isSuccess()) {
                // A flush that failed on a live socket is a side that failed (reset, broken pipe): its
                // peer is reset, not ended. (One that failed because the side had closed says nothing.)
                relay.state(Side.CLIENT).broken |= failedOnLiveSocket(wc);
                relay.state(Side.BACKEND).broken |= failedOnLiveSocket(wb);
                fallBackToCopy();
                return;
            }
            c.deregister().addListener(fc -> b.deregister().addListener(fb -> afterDeregister(fc.isSuccess() && fb.isSuccess())));
        }));
    }

    private static boolean failedOnLiveSocket(io.netty.util.concurrent.Future<?> write) {
        return !write.isSuccess() && !(write.cause() instanceof java.nio.channels.ClosedChannelException);
    }

    /**
     * The relay is aborted: true if the hand-off owns the sockets now and closes them itself when
     * they come back (the worker holds the descriptors: never close them under it).
     */
    boolean abort() {
        if (running) {
            transfer.abort();
            return true;
        }
        return inProgress; // afterDeregister sees the relay done and closes them on the copy path
    }

    /** Runs on the relay's event loop (deregistration completes there). */
    private void afterDeregister(boolean ok) {
        Channel client = relay.channel(Side.CLIENT);
        Channel backend = relay.channel(Side.BACKEND);
        if (relay.isDone() || !ok || relay.state(Side.CLIENT).closed || relay.state(Side.BACKEND).closed
                || relay.state(Side.CLIENT).inputEnded || relay.state(Side.BACKEND).inputEnded || !client.isOpen()
                || !backend.isOpen()) {
            // Aborted, or a side ended while letting go: its descriptor may be gone, so no splicing;
            // take the sockets back and finish on the copy path.
            fallBackToCopy();
            return;
        }
        try {
            transfer = service.start((EpollSocketChannel) client, (EpollSocketChannel) backend, relay.state(Side.CLIENT).held,
                    relay.state(Side.BACKEND).held, idleNanos, receiver, () -> client.eventLoop().execute(this::finished));
        } catch (IOException e) {
            fallBackToCopy(); // no pipe to be had (descriptor limit): copy instead
            return;
        }
        running = true;
    }

    /** The worker let go: count its bytes and take the sockets back. */
    private void finished() {
        running = false;
        relay.count(Side.CLIENT, transfer.bytesClientToBackend());
        relay.count(Side.BACKEND, transfer.bytesBackendToClient());
        relay.state(Side.BACKEND).lost |= transfer.lostTowardsBackend();
        relay.state(Side.CLIENT).lost |= transfer.lostTowardsClient();
        inProgress = false;
        Channel client = relay.channel(Side.CLIENT);
        int[] pending = {2};
        for (Channel ch : new Channel[] {client, relay.channel(Side.BACKEND)}) {
            client.eventLoop().register(ch).addListener(f -> {
                if (--pending[0] == 0) {
                    afterReturn();
                }
            });
        }
    }

    /**
     * Both sockets are Netty's again. A side that was reset has its peer reset; otherwise the side
     * whose peer's stream ended cleanly gets its FIN (endOutput) and the other closes; an abort
     * closes both.
     */
    private void afterReturn() {
        SpliceTransfer t = transfer;
        Side failed = t.clientFailed() ? Side.CLIENT : t.backendFailed() ? Side.BACKEND : null;
        Side ending = t.clientEnded() ? Side.BACKEND : t.backendEnded() ? Side.CLIENT : null;
        if (!t.abortRequested() && failed != null) {
            // Closing the failed side resets the other (DataRelay.sideClosed), never ends it.
            relay.state(failed).broken = true;
            relay.channel(failed).close();
            DataRelay.reset(relay.channel(failed.other()));
        } else if (t.abortRequested() && !relay.wasAborted()) {
            // The worker gave up by itself (its idle limit): no end of data, so no FIN either side.
            relay.state(Side.CLIENT).broken = true;
            relay.state(Side.BACKEND).broken = true;
            DataRelay.reset(relay.channel(Side.CLIENT));
            DataRelay.reset(relay.channel(Side.BACKEND));
        } else if (!t.abortRequested() && ending != null && relay.channel(ending).isActive() && relay.channel(ending).isRegistered()) {
            relay.endOutput(ending);
            relay.channel(ending.other()).close();
        } else {
            relay.channel(Side.CLIENT).close();
            relay.channel(Side.BACKEND).close();
        }
    }

    private void fallBackToCopy() {
        inProgress = false;
        eligible = false; // one attempt per relay
        for (Side side : Side.values()) {
            for (ByteBuf b : relay.state(side).held) {
                relay.count(side, b.readableBytes());
            }
        }
        Channel client = relay.channel(Side.CLIENT);
        int[] pending = {0};
        for (Channel ch : new Channel[] {client, relay.channel(Side.BACKEND)}) {
            if (ch.isOpen() && !ch.isRegistered()) {
                pending[0]++;
                client.eventLoop().register(ch).addListener(f -> {
                    if (--pending[0] == 0) {
                        relay.resumeCopy();
                    }
                });
            }
        }
        if (pending[0] == 0) {
            relay.resumeCopy();
        }
    }
}
