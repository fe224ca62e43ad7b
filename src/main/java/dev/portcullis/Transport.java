package dev.portcullis;

import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * The Netty transport in use: native epoll where it loads, NIO otherwise, with the reason. The
 * factories make channels by constructor reference: {@code Bootstrap.channel(Class)} would look the
 * constructor up reflectively for every bootstrap, that is several times a session.
 */
public record Transport(
        String name,
        String reason,
        IoHandlerFactory ioHandlerFactory,
        Class<? extends ServerChannel> serverChannel,
        Class<? extends SocketChannel> socketChannel,
        ChannelFactory<? extends ServerChannel> serverChannels,
        ChannelFactory<? extends SocketChannel> socketChannels) {

    public static Transport select(boolean preferNative) {
        if (!preferNative) {
            return nio("native transport disabled by configuration");
        }
        if (Epoll.isAvailable()) {
            return new Transport("epoll", "native epoll loaded", EpollIoHandler.newFactory(),
                    EpollServerSocketChannel.class, EpollSocketChannel.class, EpollServerSocketChannel::new, EpollSocketChannel::new);
        }
        Throwable cause = Epoll.unavailabilityCause();
        return nio("epoll unavailable: " + (cause == null ? "unknown" : cause.getMessage()));
    }

    private static Transport nio(String reason) {
        return new Transport("nio", reason, NioIoHandler.newFactory(),
                NioServerSocketChannel.class, NioSocketChannel.class, NioServerSocketChannel::new, NioSocketChannel::new);
    }

    public EventLoopGroup newGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, ioHandlerFactory);
    }
}
