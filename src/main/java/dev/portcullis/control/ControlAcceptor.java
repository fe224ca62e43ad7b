package dev.portcullis.control;

import dev.portcullis.net.ChannelOpener;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of a control listener's pipeline: each accepted client connection gets TCP_NODELAY, is
 * registered on a worker loop (the listener's own on epoll, where each loop has its listener) and
 * then gets its {@link ClientPipeline}. It does what Netty's {@code ServerBootstrap} acceptor does,
 * without a {@code ChannelInitializer} added and removed, and option and attribute maps copied, for
 * every session. Like that acceptor it stops accepting for a second after an accept fails (out of
 * file descriptors: retrying at once would spin the loop), and logs why.
 */
public final class ControlAcceptor extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger("portcullis");
    private static final long PAUSE_AFTER_FAILED_ACCEPT_MILLIS = 1000;

    private final EventLoopGroup workers;
    private final ClientPipeline pipeline;

    public ControlAcceptor(EventLoopGroup workers, ClientPipeline pipeline) {
        this.workers = workers;
        this.pipeline = pipeline;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel child = (Channel) msg;
        // Without TCP_NODELAY a 150 and a 226 written separately wait on a delayed ACK (~40 ms).
        child.config().setOption(ChannelOption.TCP_NODELAY, true);
        ChannelOpener.adopt(workers.next(), child, pipeline::initChannel);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ChannelConfig config = ctx.channel().config();
        if (config.isAutoRead()) {
            config.setAutoRead(false);
            ctx.channel().eventLoop().schedule(() -> config.setAutoRead(true), PAUSE_AFTER_FAILED_ACCEPT_MILLIS, TimeUnit.MILLISECONDS);
        }
        log.warn("control listener {}: accept failed, pausing {} ms: {}", ctx.channel().localAddress(), PAUSE_AFTER_FAILED_ACCEPT_MILLIS,
                cause.toString());
    }
}
