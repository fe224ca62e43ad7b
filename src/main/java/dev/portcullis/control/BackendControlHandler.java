package dev.portcullis.control;

import dev.portcullis.ftp.FtpReply;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/** Wires the backend's control channel to its session; holds no policy. */
final class BackendControlHandler extends ChannelInboundHandlerAdapter {

    private final ControlSession session;

    BackendControlHandler(ControlSession session) {
        this.session = session;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        session.onBackendReply((FtpReply) msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        session.onBackendClosed();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        session.onBackendError(cause);
    }
}
