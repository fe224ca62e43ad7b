package dev.portcullis;

import dev.portcullis.control.ClientPipeline;
import dev.portcullis.control.ControlAcceptor;
import dev.portcullis.net.ChannelOpener;
import dev.portcullis.control.SessionContext;
import dev.portcullis.transparent.TransparentSockets;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollChannelOption;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The control listeners. On epoll, one socket per event loop shares each address
 * (SO_REUSEPORT): the kernel spreads connections over them and each session is served on the loop
 * that accepted it, with no hand-off from an acceptor thread (a wakeup and a registration across
 * threads per connection). Elsewhere one acceptor hands connections to the workers. Linux lets only
 * sockets of the same user share a port this way.
 */
final class ControlListeners {

    private final Transport transport;
    private final EventLoopGroup acceptors;
    private final EventLoopGroup workers;
    private final int loops;
    private final Supplier<SessionContext> context;
    private final boolean tproxy;
    /** One per listen address (what {@link #bound} reports); on epoll each has siblings on the other loops. */
    private final List<Channel> primary = new ArrayList<>();
    private final List<Channel> siblings = new ArrayList<>();

    ControlListeners(Transport transport, EventLoopGroup acceptors, EventLoopGroup workers, int loops,
                     Supplier<SessionContext> context, boolean tproxy) {
        this.transport = transport;
        this.acceptors = acceptors;
        this.workers = workers;
        this.loops = loops;
        this.context = context;
        this.tproxy = tproxy;
    }

    /** Binds {@code address}; the first socket, whose local address is the real one (port 0 resolved). */
    Channel bind(InetSocketAddress address, boolean implicitTls) {
        boolean perLoop = transport.name().equals("epoll");
        ClientPipeline pipeline = new ClientPipeline(context, address, implicitTls);
        EventLoop first = perLoop ? workers.next() : acceptors.next();
        Channel ch = listen(first, address, pipeline, perLoop);
        primary.add(ch);
        if (perLoop) {
            // Port 0 became a real port: the others share that one.
            InetSocketAddress bound = (InetSocketAddress) ch.localAddress();
            for (int i = 1; i < loops; i++) {
                siblings.add(listen(workers.next(), bound, pipeline, true));
            }
        }
        return ch;
    }

    /** One listening socket on {@code loop}; its connections are served on that loop (per-loop) or by the workers. */
    private Channel listen(EventLoop loop, InetSocketAddress address, ClientPipeline pipeline, boolean perLoop) {
        ServerChannel server = transport.serverChannels().newChannel();
        if (tproxy) {
            // TPROXY hands this listener connections addressed to other hosts (the FTP servers).
            TransparentSockets.transparent(server);
        }
        if (perLoop) {
            server.config().setOption(EpollChannelOption.SO_REUSEPORT, true);
        }
        server.config().setOption(ChannelOption.SO_REUSEADDR, true);
        server.config().setOption(ChannelOption.SO_BACKLOG, 1024);
        server.pipeline().addLast(new ControlAcceptor(perLoop ? loop : workers, pipeline));
        return ChannelOpener.bind(loop, server, address).syncUninterruptibly().channel();
    }

    int count() {
        return primary.size();
    }

    boolean allActive() {
        return !primary.isEmpty() && primary.stream().allMatch(Channel::isActive) && siblings.stream().allMatch(Channel::isActive);
    }

    /** The addresses actually bound (port 0 in the config becomes the real port). */
    List<InetSocketAddress> bound() {
        List<InetSocketAddress> out = new ArrayList<>();
        for (Channel ch : primary) {
            out.add((InetSocketAddress) ch.localAddress());
        }
        return out;
    }

    void close() {
        for (Channel ch : primary) {
            ch.close().syncUninterruptibly();
        }
        for (Channel ch : siblings) {
            ch.close().syncUninterruptibly();
        }
    }
}
