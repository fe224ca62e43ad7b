package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.Transport;
import dev.portcullis.data.relay.HalfClose;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.ChannelOutputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The half-close data connections end with: the peer reads every byte and then end of stream,
 * and can still send (the proxy keeps reading), on the native transport (its quiet path) and on NIO.
 */
class HalfCloseIT {

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void thePeerGetsEveryByteThenEndOfStreamAndCanStillSend(boolean nativeTransport) throws Exception {
        Transport transport = Transport.select(nativeTransport);
        EventLoopGroup group = transport.newGroup(1);
        BlockingQueue<Object> received = new LinkedBlockingQueue<>();
        try (ServerSocket server = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Channel ch = new Bootstrap().group(group).channel(transport.socketChannel())
                    .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            received.add(((ByteBuf) msg).toString(StandardCharsets.US_ASCII));
                            ((ByteBuf) msg).release();
                        }

                        @Override
                        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                            if (evt instanceof ChannelOutputShutdownEvent) {
                                received.add("output-shutdown-event");
                            }
                        }
                    })
                    .connect(server.getLocalSocketAddress()).sync().channel();
            try (Socket peer = server.accept()) {
                peer.setSoTimeout(5000);
                ch.writeAndFlush(Unpooled.copiedBuffer("last bytes", StandardCharsets.US_ASCII)).sync();
                ChannelFuture fin = ch.eventLoop().submit(() -> HalfClose.shutdownOutput((DuplexChannel) ch)).get(5, TimeUnit.SECONDS);
                assertThat(fin.await(5, TimeUnit.SECONDS)).isTrue();
                assertThat(fin.isSuccess()).as(String.valueOf(fin.cause())).isTrue();
                assertThat(((DuplexChannel) ch).isOutputShutdown()).isTrue();
                InputStream in = peer.getInputStream();
                assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("last bytes"); // then -1
                peer.getOutputStream().write("trailer".getBytes(StandardCharsets.US_ASCII));
                peer.getOutputStream().flush();
                java.util.List<Object> seen = new java.util.ArrayList<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (!seen.contains("trailer") && System.nanoTime() < deadline) {
                    Object next = received.poll(100, TimeUnit.MILLISECONDS);
                    if (next != null) {
                        seen.add(next);
                    }
                }
                assertThat(seen).as("what the half-closed channel still read").contains("trailer");
                assertThat(ch.isActive()).as("half-closed, not closed").isTrue();
            }
            ch.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
