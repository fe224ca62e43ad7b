package dev.portcullis.data.relay;

import dev.portcullis.data.relay.DataRelay.Side;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;

/** One side's pipeline handler of a {@link DataRelay}: reads go to the peer, with back-pressure by writability. */
final class RelayHandler extends ChannelInboundHandlerAdapter {
    private final DataRelay relay;
    private final Side side;
    private final RelaySide state;

    RelayHandler(DataRelay relay, Side side) {
        this.relay = relay;
        this.side = side;
        this.state = relay.state(side);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel peer = relay.channel(side.other());
        ByteBuf buf = (ByteBuf) msg;
        if (state.ending) { // (also once the relay is done: the side lingers until its peer closes)
            // Its peer's stream is over, so these bytes cannot be delivered; only the transfer's
            // own direction counts towards its verdict (lostBytesTowards).
            relay.state(side.other()).lost = true;
            long drained = state.drained += buf.readableBytes();
            buf.release();
            if (drained > DataRelay.DRAIN_LIMIT) {
                ctx.close(); // a stream, not a trailer: stop it
            }
            return;
        }
        if (relay.isDone() || relay.isReceiver(side)) {
            // (A receiver's bytes, a download client's stray ones say, are no part of the transfer:
            // forwarded, they would sit unread in the sender's socket and make its close a reset.)
            buf.release();
            return;
        }
        SpliceHandOff zeroCopy = relay.zeroCopyHandOff();
        if (zeroCopy != null && zeroCopy.inProgress()) {
            // Read by Netty while it let go of the socket: the splice worker sends it first.
            state.held.add(buf);
            return;
        }
        if (zeroCopy != null && zeroCopy.happened()) {
            buf.release(); // the worker has finished this transfer; the sockets are closing
            return;
        }
        relay.count(side, buf.readableBytes());
        if (peer == null) {
            // Read before the peer attached: epoll reads a half-closed socket even with AUTO_READ
            // off. Keep it (bounded by that socket's receive buffer) for when the peer arrives.
            state.held.add(buf);
            return;
        }
        if (!peer.isActive()) {
            relay.state(side.other()).lost = true; // the other side is gone: these bytes will never arrive
            buf.release();
            return;
        }
        RelayPacer pacer = relay.pacer();
        if (pacer != null) {
            pacer.forward(side, ctx.channel(), peer, buf);
            return;
        }
        peer.write(buf, peer.voidPromise());
        if (zeroCopy != null && zeroCopy.due()) {
            peer.flush();
            zeroCopy.start(); // a large transfer: the rest moves by splice
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        Channel peer = relay.channel(side.other());
        if (peer != null && !state.ending) {
            peer.flush();
            if (!peer.isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Channel peer = relay.channel(side.other());
        SpliceHandOff zeroCopy = relay.zeroCopyHandOff();
        if (ctx.channel().isWritable() && peer != null && peer.isActive() && relay.bothAttached()
                && !relay.state(side.other()).throttled && (zeroCopy == null || !zeroCopy.inProgress() && !zeroCopy.happened())) {
            peer.config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent) {
            relay.inputEnded(side);
        } else if (evt instanceof IdleStateEvent) {
            state.broken = true;
            ctx.close(); // a data connection that moves nothing for the idle time is given up
        } else if (evt instanceof SslCloseCompletionEvent closed && closed.isSuccess() && side == Side.BACKEND) {
            // The server's close_notify: its stream is over. A TLS 1.3 server may wait for ours
            // before it closes the socket (vsftpd does); the JDK engine does not answer on its own,
            // so the side is closed here, which sends ours, and the relay ends as at a FIN. (Not
            // for the client side: a TLS 1.3 client may half-close and still read.)
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Resets and broken pipes end the transfer; the backend's reply tells the client.
        state.broken = true;
        ctx.close();
    }
}
