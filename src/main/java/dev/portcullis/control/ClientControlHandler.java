package dev.portcullis.control;

import dev.portcullis.config.TlsConfig;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;

/** Wires the client's control channel to a new {@link ControlSession}; holds no policy. */
public final class ClientControlHandler extends ChannelInboundHandlerAdapter {

    private final SessionContext context;
    private final boolean implicitTls;
    private final TlsConfig.ListenerPolicy policy;
    private ControlSession session;

    /**
     * @param implicitTls the listener is implicit FTPS: TLS is already in the pipeline
     * @param policy      the listener's TLS policies
     */
    public ClientControlHandler(SessionContext context, boolean implicitTls, TlsConfig.ListenerPolicy policy) {
        this.context = context;
        this.implicitTls = implicitTls;
        this.policy = policy;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (!context.config().proxyProtocol().accept()) {
            startSession(ctx, (java.net.InetSocketAddress) ctx.channel().remoteAddress());
        } // else: the session starts when the PROXY header names the real client
        ctx.fireChannelActive();
    }

    private void startSession(ChannelHandlerContext ctx, java.net.InetSocketAddress client) {
        session = new ControlSession(context, ctx.channel(), implicitTls, policy, client);
        session.start();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (session == null) {
            io.netty.util.ReferenceCountUtil.release(msg);
            return;
        }
        session.onClientMessage(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ProxyHeaderHandler.RealClient real) {
            startSession(ctx, real.address());
        } else if (evt instanceof IdleStateEvent) {
            if (session != null) {
                session.onClientIdle();
            } else {
                ctx.close();
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (session != null) {
            session.close("client_closed", "client closed the connection");
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (session != null) {
            session.close("client_error", "client connection error: " + cause.getMessage());
        } else {
            ctx.close();
        }
    }
}
