package dev.portcullis.control;

import dev.portcullis.config.ProxyProtocolConfig;
import dev.portcullis.log.RateLimitedLog;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the PROXY protocol header (v1 or v2, decoded by Netty's {@link HAProxyMessageDecoder})
 * that an L4 balancer puts in front of a control connection, and announces the client's real
 * address to the session; then leaves the pipeline. A connection without a valid header within
 * the time limit is closed without a byte written.
 */
public final class ProxyHeaderHandler extends ChannelInboundHandlerAdapter {

    /** The event that carries the client's real address to {@link ClientControlHandler}. */
    public record RealClient(InetSocketAddress address) {
    }

    private static final Logger log = LoggerFactory.getLogger("portcullis.proxy-protocol");
    private static final RateLimitedLog UNTRUSTED_LOG = new RateLimitedLog(Duration.ofSeconds(10));
    private final long timeoutMillis;
    private final ProxyProtocolConfig config;
    private final Runnable onUntrusted;
    private ScheduledFuture<?> timeout;

    /** @param onUntrusted counts a connection from a peer that is not a trusted balancer */
    public ProxyHeaderHandler(long timeoutMillis, ProxyProtocolConfig config, Runnable onUntrusted) {
        this.timeoutMillis = timeoutMillis;
        this.config = config;
        this.onUntrusted = onUntrusted;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        InetSocketAddress peer = (InetSocketAddress) ctx.channel().remoteAddress();
        if (!config.trusts(peer.getAddress())) {
            // Whatever header it sends would be a claim nobody vouches for: refused before a byte is read.
            onUntrusted.run();
            UNTRUSTED_LOG.info(log, "connection from {} refused: not in proxy-protocol.trusted-balancers", peer.getAddress().getHostAddress());
            ctx.channel().config().setAutoRead(false);
            ctx.close();
            return;
        }
        timeout = ctx.executor().schedule(() -> {
            log.info("no PROXY header from {} within {} ms; closed", ctx.channel().remoteAddress(), timeoutMillis);
            ctx.close();
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (!(msg instanceof HAProxyMessage header)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            InetSocketAddress peer = (InetSocketAddress) ctx.channel().remoteAddress();
            InetSocketAddress real = peer;
            // LOCAL (the balancer's own health check) and UNKNOWN carry no client: keep the TCP peer.
            if (header.command() == HAProxyCommand.PROXY && header.sourceAddress() != null) {
                real = new InetSocketAddress(InetAddress.getByName(header.sourceAddress()), header.sourcePort());
            }
            if (timeout != null) {
                timeout.cancel(false);
            }
            // The session starts first, so that bytes the client sent after the header (which the
            // decoder passes on when it removes itself, right after this) find it there.
            ctx.fireUserEventTriggered(new RealClient(real));
            ctx.pipeline().remove(this);
        } finally {
            header.release();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.info("invalid PROXY header from {}: {}; closed", ctx.channel().remoteAddress(), cause.getMessage());
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (timeout != null) {
            timeout.cancel(false);
        }
        ctx.fireChannelInactive();
    }
}
