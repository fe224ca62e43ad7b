package io.netty.channel.epoll;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;

/**
 * The few package-private pieces of Netty's epoll transport that Portcullis needs: an event array
 * and a millisecond epoll_wait for its own splice loop, and a half-close without an exception;
 * everything else it uses is public.
 */
public final class PortcullisEpollAccess {

    private PortcullisEpollAccess() {
    }

    /** An epoll_event array for {@link #epollWait}. */
    public static final class Events {
        private final EpollEventArray array;

        public Events(int length) {
            array = new EpollEventArray(length);
        }

        public int fd(int i) {
            return array.fd(i);
        }

        public int events(int i) {
            return array.events(i);
        }

        public void free() {
            array.free();
        }
    }

    public static int epollWait(FileDescriptor epoll, Events events, int timeoutMillis) throws IOException {
        return Native.epollWait(epoll, events.array, timeoutMillis);
    }

    /**
     * Sends a FIN on an epoll socket whose outbound buffer is empty, the way Netty's own
     * shutdownOutput does but without the ChannelOutputShutdownException Netty builds (stack trace
     * and all) to fail pending writes: there are none, and that exception was a few per cent of a
     * short session's CPU. The socket's state is the one Netty reads, so isOutputShutdown() holds.
     *
     * @return false where this does not apply (another transport, pending writes): use Netty's
     * @throws IOException the socket refused (not connected any more)
     */
    public static boolean shutdownOutputQuietly(Channel ch) throws IOException {
        if (!(ch instanceof AbstractEpollStreamChannel c) || !c.eventLoop().inEventLoop()) {
            return false;
        }
        ChannelOutboundBuffer pending = c.unsafe().outboundBuffer();
        if (pending == null || !pending.isEmpty()) {
            return false;
        }
        c.socket.shutdown(false, true);
        return true;
    }
}
