package dev.portcullis.data.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.portcullis.Transport;
import dev.portcullis.data.relay.DataRelay.Side;
import dev.portcullis.data.splice.SpliceService;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 28, item 2: a client reset while its relay is being handed to a splice worker makes the
 * hand-off fall back to copying; the resumed copy must reset the backend, never end it with a FIN
 * (a FIN is a complete upload to an FTP server). The hand-off is driven by hand so that the reset
 * lands in its window every time: the client does not read, so the hand-off's flush towards it
 * cannot complete, and the client then resets.
 */
class SpliceFallbackResetTest {

    @Test
    void aClientResetDuringTheHandOffResetsTheBackend() throws Exception {
        assumeTrue(Epoll.isAvailable(), "splice needs the epoll transport");
        Transport transport = Transport.select(true);
        assertThat(SpliceHandOff.ZERO_COPY_AFTER).isGreaterThan(100_000 + 10 * 64 * 1024);
        EventLoopGroup group = transport.newGroup(1);
        SpliceService splice = SpliceService.start(1);
        assumeTrue(splice != null, "no splice workers here");
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (ServerSocket clientApp = new ServerSocket(0, 1, lo); ServerSocket backendApp = new ServerSocket(0, 1, lo)) {
            clientApp.setReceiveBufferSize(16 * 1024); // the client reads nothing: keep what piles up towards it small
            Channel clientCh = connect(group, transport, clientApp);
            clientCh.config().setOption(ChannelOption.SO_SNDBUF, 16 * 1024);
            Channel backendCh = connect(group, transport, backendApp);
            try (Socket client = clientApp.accept(); Socket backend = backendApp.accept()) {
                DataRelay relay = new DataRelay();
                relay.zeroCopy(splice, Duration.ofSeconds(30));
                clientCh.eventLoop().submit(() -> {
                    relay.attach(Side.CLIENT, clientCh);
                    relay.attach(Side.BACKEND, backendCh);
                }).get(5, TimeUnit.SECONDS);

                // Upload bytes pass through the copy path.
                byte[] upload = dev.portcullis.testing.Digests.randomBytes(100_000, 28);
                client.getOutputStream().write(upload);
                backend.setSoTimeout(10_000);
                assertThat(backend.getInputStream().readNBytes(upload.length)).isEqualTo(upload);

                // The backend sends until the relay's buffer towards the (non-reading) client is full.
                Thread chatter = new Thread(() -> {
                    byte[] chunk = new byte[64 * 1024];
                    try {
                        OutputStream out = backend.getOutputStream();
                        for (int i = 0; i < 10; i++) { // 640 KiB: with the upload, short of the automatic hand-off (1 MiB)
                            out.write(chunk);
                        }
                    } catch (IOException expected) {
                        // the backend's connection is reset (or ended) at the end of the test
                    }
                }, "backend-chatter");
                chatter.setDaemon(true);
                chatter.start();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (clientCh.isWritable() && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                assertThat(clientCh.isWritable()).as("the relay's buffer towards the client filled").isFalse();

                // The hand-off starts; its flush towards the client waits; the client resets.
                clientCh.eventLoop().submit(() -> relay.zeroCopyHandOff().start()).get(5, TimeUnit.SECONDS);
                assertThat(relay.zeroCopyHandOff().inProgress()).isTrue();
                client.setSoLinger(true, 0);
                client.close();

                // The backend must see a reset, not an end of stream (read() == -1 after the upload).
                InputStream in = backend.getInputStream();
                assertThatThrownBy(() -> {
                    while (in.read() >= 0) {
                        // nothing more is sent towards the backend; a FIN would end this loop
                    }
                }).as("the backend's connection after the client's reset").isInstanceOf(SocketException.class);
                chatter.join(10_000);
            }
        } finally {
            splice.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    private static Channel connect(EventLoopGroup group, Transport transport, ServerSocket to) throws InterruptedException {
        return new Bootstrap().group(group).channel(transport.socketChannel())
                .option(ChannelOption.AUTO_READ, false)
                .handler(new ChannelInboundHandlerAdapter())
                .connect(to.getLocalSocketAddress()).sync().channel();
    }
}
