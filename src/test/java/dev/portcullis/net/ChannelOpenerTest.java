package dev.portcullis.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Channels opened without a bootstrap, on real loopback sockets. */
class ChannelOpenerTest {

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void handlersAddedByInitSeeTheAcceptedConnectionRegisterAndGoActive() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             SocketChannel peer = SocketChannel.open(server.getLocalAddress())) {
            NioSocketChannel child = new NioSocketChannel(server.accept());
            List<String> events = new CopyOnWriteArrayList<>();
            CompletableFuture<Void> active = new CompletableFuture<>();
            EventLoop loop = group.next();
            // From the loop itself, as an acceptor does: there registration completes at once.
            loop.execute(() -> ChannelOpener.adopt(loop, child, ch -> {
                events.add("init, registered=" + ch.isRegistered());
                ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRegistered(ChannelHandlerContext ctx) {
                        events.add("registered");
                    }

                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        events.add("active");
                        active.complete(null);
                    }
                });
            }));
            active.get(5, TimeUnit.SECONDS);
            assertThat(events).containsExactly("init, registered=true", "registered", "active");
            child.close().syncUninterruptibly();
        }
    }

    @Test
    void aFailedConnectFailsTheFutureAndClosesTheChannel() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        NioSocketChannel ch = new NioSocketChannel();
        ChannelFuture f = ChannelOpener.connect(group.next(), ch, new InetSocketAddress(InetAddress.getLoopbackAddress(), closedPort), null);
        assertThat(f.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(f.isSuccess()).isFalse();
        assertThat(ch.closeFuture().await(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void bindListensOnTheLoopAndConnectReachesIt() throws Exception {
        NioServerSocketChannel server = new NioServerSocketChannel();
        CompletableFuture<Channel> accepted = new CompletableFuture<>();
        server.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                accepted.complete((Channel) msg);
            }
        });
        Channel bound = ChannelOpener.bind(group.next(), server, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .syncUninterruptibly().channel();
        NioSocketChannel client = new NioSocketChannel();
        ChannelFuture connected = ChannelOpener.connect(group.next(), client, bound.localAddress(), null).syncUninterruptibly();
        assertThat(connected.isSuccess()).isTrue();
        Channel child = accepted.get(5, TimeUnit.SECONDS);
        assertThat(child.remoteAddress()).isEqualTo(client.localAddress());
        child.unsafe().closeForcibly(); // accepted, never registered: the test has no acceptor
        client.close().syncUninterruptibly();
        bound.close().syncUninterruptibly();
    }
}
