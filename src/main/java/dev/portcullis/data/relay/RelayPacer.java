package dev.portcullis.data.relay;

import dev.portcullis.data.relay.DataRelay.Side;
import io.netty.buffer.ByteBuf;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A rate-limited {@link DataRelay}'s forwarding: every byte is taken from each of the relay's
 * token buckets (per session, global); when one asks for a pause the side stops reading until it
 * is over, and what Netty still reads meanwhile waits in the side's paced queue. Event loop only.
 */
final class RelayPacer {

    /** Small reads for rate-limited relays: the limit is then exact to within one read. */
    static final AdaptiveRecvByteBufAllocator THROTTLED_READS = new AdaptiveRecvByteBufAllocator(4096, 16 * 1024, 64 * 1024);

    private final DataRelay relay;
    private final List<TokenBucket> buckets;

    RelayPacer(DataRelay relay, List<TokenBucket> buckets) {
        this.relay = relay;
        this.buckets = List.copyOf(buckets);
    }

    /** Passes a read on, or keeps it while the side is paused. */
    void forward(Side side, Channel ch, Channel peer, ByteBuf buf) {
        RelaySide state = relay.state(side);
        if (state.throttled) {
            state.paced.add(buf);
            return;
        }
        int n = buf.readableBytes();
        peer.write(buf, peer.voidPromise());
        long wait = take(n);
        if (wait > 0) {
            state.throttled = true;
            ch.config().setAutoRead(false);
            ch.eventLoop().schedule(() -> resume(side, ch), wait, TimeUnit.NANOSECONDS);
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

    /**
     * The pause is over: what was kept goes on at the rate; then the side reads again, or, if it
     * has closed meanwhile, its peer is closed after the last byte (FTP's end of data).
     */
    private void resume(Side side, Channel ch) {
        RelaySide state = relay.state(side);
        Deque<ByteBuf> kept = state.paced;
        Channel peer = relay.channel(side.other());
        while (!kept.isEmpty() && !relay.isDone()) {
            if (peer == null || !peer.isActive()) {
                relay.state(side.other()).lost = true;
                RelaySide.release(kept);
                break;
            }
            ByteBuf b = kept.poll();
            int n = b.readableBytes();
            peer.write(b, peer.voidPromise());
            long wait = take(n);
            if (wait > 0) {
                peer.flush();
                ch.eventLoop().schedule(() -> resume(side, ch), wait, TimeUnit.NANOSECONDS);
                return;
            }
        }
        state.throttled = false;
        if (relay.isDone() || peer == null) {
            return;
        }
        peer.flush();
        if (state.closed) {
            Side peerSide = side.other();
            if (peer.isActive() && !relay.state(peerSide).ending) {
                relay.endOutput(peerSide);
            }
        } else if (ch.isActive() && peer.isWritable()) {
            ch.config().setAutoRead(true);
        }
    }
}
