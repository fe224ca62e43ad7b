package dev.portcullis;

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

/** The Netty transport in use: native epoll where it loads, NIO otherwise, with the reason. */
public record Transport(
        String name,
        String reason,
        IoHandlerFactory ioHandlerFactory,
        Class<? extends ServerChannel> serverChannel,
        Class<? extends SocketChannel> socketChannel) {

    public static Transport select(boolean preferNative) {
        if (!preferNative) {
            return nio("native transport disabled by configuration");
        }
        if (Epoll.isAvailable()) {
            return new Transport("epoll", "native epoll loaded", EpollIoHandler.newFactory(),
                    EpollServerSocketChannel.class, EpollSocketChannel.class);
        }
        Throwable cause = Epoll.unavailabilityCause();
        return nio("epoll unavailable: " + (cause == null ? "unknown" : cause.getMessage()));
    }

    private static Transport nio(String reason) {
        return new Transport("nio", reason, NioIoHandler.newFactory(),
                NioServerSocketChannel.class, NioSocketChannel.class);
    }

    public EventLoopGroup newGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, ioHandlerFactory);
    }
}
