package dev.portcullis.data.setup;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import java.net.InetAddress;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.BiConsumer;

/**
 * For {@code data-peer-check: proxy-header}: a passive data connection through the balancer starts
 * with a PROXY header naming the real client. This handler takes that header (decoded by the
 * HAProxy decoder before it), hands the source address to {@code onHeader}, and keeps any data
 * bytes that came in the same packet until the relay is there to take them, so none is lost.
 */
final class DataProxyHeaderGate extends ChannelDuplexHandler {

    private final BiConsumer<ChannelHandlerContext, InetAddress> onHeader;
    private final Deque<ByteBuf> held = new ArrayDeque<>();
    private boolean decided;

    /** @param onHeader called once with the header's source address (null for a LOCAL or UNKNOWN header, or no header) */
    DataProxyHeaderGate(BiConsumer<ChannelHandlerContext, InetAddress> onHeader) {
        this.onHeader = onHeader;
    }

    boolean decided() {
        return decided;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HAProxyMessage m) {
            InetAddress source = null;
            try {
                if (m.command() == HAProxyCommand.PROXY && m.sourceAddress() != null) {
                    source = InetAddress.getByName(m.sourceAddress()); // an address literal: no lookup
                }
            } catch (java.net.UnknownHostException e) {
                source = null;
            } finally {
                m.release();
            }
            decided = true;
            onHeader.accept(ctx, source);
            return;
        }
        if (!decided || ctx.pipeline().get("relay") == null) {
            if (msg instanceof ByteBuf b) {
                held.add(b); // data behind the header, before the relay is attached
            }
            return;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (decided && ctx.pipeline().get("relay") != null) {
            if (!held.isEmpty()) {
                ByteBuf b;
                while ((b = held.poll()) != null) {
                    ctx.fireChannelRead(b);
                }
                ctx.fireChannelReadComplete();
            }
            ctx.read();
            // The relay reads the socket from now on: nothing more to keep, no check on every read.
            ctx.pipeline().remove(this);
            return;
        }
        ctx.read();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        release();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (decided && ctx.pipeline().get("relay") != null) {
            ByteBuf b;
            while ((b = held.poll()) != null) {
                ctx.fireChannelRead(b); // a peer that sent and closed at once: the relay keeps it for its peer
            }
        }
        release();
        ctx.fireChannelInactive();
    }

    private void release() {
        ByteBuf b;
        while ((b = held.poll()) != null) {
            b.release();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!decided) {
            decided = true;
            onHeader.accept(ctx, null); // not a PROXY header: refused like any unexpected peer
            return;
        }
        ctx.fireExceptionCaught(cause);
    }
}
