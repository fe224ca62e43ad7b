package dev.portcullis.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelPromise;
import io.netty.channel.EventLoop;
import java.net.SocketAddress;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Registers a channel that is already configured (options set, handlers added) on an event loop,
 * then connects or binds it: what Netty's {@code Bootstrap} and {@code ServerBootstrap} do, without
 * what a session's sockets do not need from them. A bootstrap per socket copies its option and
 * attribute maps, adds and removes a {@code ChannelInitializer}, looks up an address resolver and
 * hands the connect to the loop's task queue; a session opens up to four sockets, so that was paid
 * four times a session. As with a bootstrap, a socket whose connect or bind fails is closed.
 */
public final class ChannelOpener {

    private ChannelOpener() {
    }

    /** Registers {@code ch} on {@code loop} and connects it to {@code remote} from {@code local} (null: any). */
    public static ChannelFuture connect(EventLoop loop, Channel ch, SocketAddress remote, SocketAddress local) {
        return registerThen(loop, ch, done -> ch.connect(remote, local, done));
    }

    /** Registers the listening {@code server} on {@code loop} and binds it to {@code local}. */
    public static ChannelFuture bind(EventLoop loop, Channel server, SocketAddress local) {
        return registerThen(loop, server, done -> server.bind(local, done));
    }

    /** Registers {@code ch}, then starts {@code operation} on the returned promise; closes the channel if either fails. */
    private static ChannelFuture registerThen(EventLoop loop, Channel ch, Function<ChannelPromise, ChannelFuture> operation) {
        ChannelPromise done = new DefaultChannelPromise(ch, loop);
        loop.register(ch).addListener((ChannelFutureListener) registered -> {
            if (!registered.isSuccess()) {
                ch.unsafe().closeForcibly();
                done.setFailure(registered.cause());
                return;
            }
            operation.apply(done).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        });
        return done;
    }

    /**
     * Registers a connection a listener accepted on {@code loop}; {@code init} runs once it is
     * registered, before the pipeline hears of it (where a {@code ChannelInitializer} would run),
     * so that the handlers it adds see channelRegistered and channelActive. A connection that
     * cannot be registered is closed.
     */
    public static void adopt(EventLoop loop, Channel child, Consumer<Channel> init) {
        // The listener goes on the promise before registering: on its own loop registration
        // completes inside register(), and a listener added after it would run only once the
        // channel had gone active with an empty pipeline.
        ChannelPromise registered = new DefaultChannelPromise(child, loop);
        registered.addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                child.unsafe().closeForcibly();
                return;
            }
            try {
                init.accept(child);
            } catch (RuntimeException e) {
                child.close(); // as a failing ChannelInitializer: the connection goes, the listener stays
                throw e;
            }
        });
        loop.register(registered);
    }
}
