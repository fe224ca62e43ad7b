package dev.portcullis.data.relay;

import io.netty.channel.ChannelFuture;
import io.netty.channel.epoll.PortcullisEpollAccess;
import io.netty.channel.socket.DuplexChannel;
import java.io.IOException;

/** Sends a FIN (shutdown of the output only) on a connection whose bytes have all been flushed. */
public final class HalfClose {

    private HalfClose() {
    }

    /** Ends {@code ch}'s output; the future fails where the socket is gone. */
    public static ChannelFuture shutdownOutput(DuplexChannel ch) {
        try {
            if (PortcullisEpollAccess.shutdownOutputQuietly(ch)) {
                return ch.newSucceededFuture();
            }
        } catch (IOException | RuntimeException e) {
            return ch.newFailedFuture(e);
        }
        return ch.shutdownOutput();
    }
}
