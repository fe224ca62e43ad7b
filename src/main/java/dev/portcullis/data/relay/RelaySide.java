package dev.portcullis.data.relay;

import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;
import java.util.Deque;

/** What a {@link DataRelay} knows of one of its two sides. Event loop only. */
final class RelaySide {
    /** Its channel has closed. */
    boolean closed;
    /** A connection for it is being made: the relay waits for it. */
    boolean connecting;
    /** Its peer's stream is over and its own output is being ended: what it sends is dropped. */
    boolean ending;
    /** It has been sent every byte and a FIN; it stays open until its peer closes (see DataRelay.endOutput). */
    boolean ended;
    /** It ended its stream (FIN): nothing more will be read from it; its own output may still be open. */
    boolean inputEnded;
    /** It failed (reset, TLS error, idle limit) rather than ended: its peer is reset, not ended. */
    boolean broken;
    /** Bytes meant for it never reached it. */
    boolean lost;
    /** Paused for its rate limit. */
    boolean throttled;
    /** Bytes it sent after its output was ended (at most DataRelay.DRAIN_LIMIT are read). */
    long drained;
    /** Bytes read from it before its peer was there, or while the relay was handed to a splice worker. */
    final Deque<ByteBuf> held = new ArrayDeque<>();
    /**
     * Bytes Netty read from it while it was paused for its rate: epoll drains a socket whose
     * sender has closed even with AUTO_READ off. They are sent on at the rate, not at once; at
     * most that socket's receive buffer.
     */
    final Deque<ByteBuf> paced = new ArrayDeque<>();

    void releaseBuffers() {
        release(held);
        release(paced);
    }

    static void release(Deque<ByteBuf> buffers) {
        ByteBuf b;
        while ((b = buffers.poll()) != null) {
            b.release();
        }
    }
}
