package io.netty.channel.epoll;

import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;

/**
 * The few package-private pieces of Netty's epoll transport that Portcullis' own splice loop
 * needs (an event array and a millisecond epoll_wait); everything else it uses is public.
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
}
