package dev.portcullis.data.setup;

import dev.portcullis.guard.DataExpectation;
import dev.portcullis.guard.ExpectationTable;
import dev.portcullis.Transport;
import dev.portcullis.config.Timeouts;
import dev.portcullis.metrics.ProxyMetrics;
import dev.portcullis.net.ChannelOpener;
import dev.portcullis.transparent.TransparentSockets;
import io.netty.channel.Channel;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the proxy's data sockets: passive listeners (from the pool, or ephemeral for the backend
 * side in active mode), each guarded by an expectation, and outgoing data connections. Everything
 * a session opens runs on that session's event loop.
 */
public final class DataConnector {

    private static final Logger log = LoggerFactory.getLogger("portcullis.data");
    private static final int BIND_ATTEMPTS = 8;
    /** Per-connection outbound buffer bounds: a slow reader stops the other side at 1 MiB. */
    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(256 * 1024, 1024 * 1024);
    /** Large reads on data connections: fewer system calls per byte moved (adapts down for small files). */
    private static final AdaptiveRecvByteBufAllocator DATA_READS = new AdaptiveRecvByteBufAllocator(16 * 1024, 128 * 1024, 1024 * 1024);

    private final Transport transport;
    private final PassivePortPool pool;
    private final ExpectationTable table;
    private final Timeouts timeouts;
    private final ProxyMetrics metrics;
    private final boolean proxyHeaderOnData;
    private final Predicate<InetAddress> trustedBalancer;
    private final boolean transparentListeners;
    private final boolean transparentOutgoing;

    /**
     * @param proxyHeaderOnData    passive data connections start with a PROXY header whose source is the peer checked
     * @param trustedBalancer      the peers whose PROXY headers on data connections are believed
     * @param transparentListeners passive listeners get IP_TRANSPARENT (TPROXY delivers connections for the servers' addresses)
     * @param transparentOutgoing  outgoing data connections get IP_TRANSPARENT (they start from the client's address)
     */
    public DataConnector(Transport transport, PassivePortPool pool, ExpectationTable table, Timeouts timeouts, ProxyMetrics metrics,
                         boolean proxyHeaderOnData, Predicate<InetAddress> trustedBalancer,
                         boolean transparentListeners, boolean transparentOutgoing) {
        this.transparentOutgoing = transparentOutgoing;
        this.proxyHeaderOnData = proxyHeaderOnData;
        this.trustedBalancer = trustedBalancer;
        this.transparentListeners = transparentListeners;
        this.transport = transport;
        this.pool = pool;
        this.table = table;
        this.timeouts = timeouts;
        this.metrics = metrics;
    }

    /** Binds a listener on a pooled port; fails with {@link PoolExhaustedException} when none can be had. */
    public Future<PassiveListener> listenPooled(EventLoop loop, InetAddress bindAddress, String sessionId,
                                                InetAddress expectedPeer, Consumer<Channel> onAccepted, Runnable onRelease) {
        Promise<PassiveListener> promise = loop.newPromise();
        tryBind(loop, bindAddress, sessionId, expectedPeer, onAccepted, onRelease, promise, BIND_ATTEMPTS);
        return promise;
    }

    /** Binds a listener on an ephemeral port (not from the pool). */
    public Future<PassiveListener> listenEphemeral(EventLoop loop, InetAddress bindAddress, String sessionId,
                                                   InetAddress expectedPeer, Consumer<Channel> onAccepted) {
        Promise<PassiveListener> promise = loop.newPromise();
        bind(loop, bindAddress, 0, sessionId, expectedPeer, onAccepted, null, () -> { }, promise);
        return promise;
    }

    private void tryBind(EventLoop loop, InetAddress bindAddress, String sessionId, InetAddress expectedPeer,
                         Consumer<Channel> onAccepted, Runnable onRelease, Promise<PassiveListener> promise, int attemptsLeft) {
        OptionalInt port = pool.acquire();
        if (port.isEmpty()) {
            promise.setFailure(new PoolExhaustedException("no free passive port (" + pool.capacity() + " in the pool, all in use)"));
            return;
        }
        Promise<PassiveListener> attempt = loop.newPromise();
        bind(loop, bindAddress, port.getAsInt(), sessionId, expectedPeer, onAccepted, pool, onRelease, attempt);
        attempt.addListener(f -> {
            if (f.isSuccess()) {
                promise.setSuccess(attempt.getNow());
                return;
            }
            pool.release(port.getAsInt());
            log.debug("{} passive port {} could not be bound: {}", sessionId, port.getAsInt(), f.cause().toString());
            if (attemptsLeft > 1) {
                tryBind(loop, bindAddress, sessionId, expectedPeer, onAccepted, onRelease, promise, attemptsLeft - 1);
            } else {
                promise.setFailure(new PoolExhaustedException("no passive port could be bound after " + BIND_ATTEMPTS + " attempts"));
            }
        });
    }

    private void bind(EventLoop loop, InetAddress bindAddress, int port, String sessionId, InetAddress expectedPeer,
                      Consumer<Channel> onAccepted, PassivePortPool fromPool, Runnable onRelease, Promise<PassiveListener> promise) {
        PassiveListener[] holder = new PassiveListener[1];
        ServerChannel server = transport.serverChannels().newChannel();
        server.config().setOption(ChannelOption.SO_REUSEADDR, true);
        server.config().setOption(ChannelOption.SO_BACKLOG, 8);
        if (transparentListeners && fromPool != null) {
            TransparentSockets.transparent(server);
        }
        server.pipeline().addLast(new Acceptor(child -> initAccepted(child, holder[0], sessionId, onAccepted, fromPool != null)));
        ChannelFuture bound = ChannelOpener.bind(loop, server, new InetSocketAddress(bindAddress, port));
        bound.addListener(f -> {
            if (!f.isSuccess()) {
                promise.setFailure(f.cause());
                return;
            }
            int actual = ((InetSocketAddress) server.localAddress()).getPort();
            DataExpectation e = table.expect(sessionId, expectedPeer, actual, timeouts.expectation().toNanos());
            holder[0] = new PassiveListener(server, actual, e, table, fromPool, onRelease);
            if (!promise.trySuccess(holder[0])) {
                holder[0].close();
            }
        });
    }

    /**
     * A passive listener's end of the pipeline: each accepted connection gets the data options and
     * is registered on the listener's loop, then checked against the expectation. A listener closed
     * while an accept is pending (claimed, expired, session ended) sees accept fail with EINVAL:
     * expected, so that is logged at debug instead of reaching the pipeline's tail.
     */
    private static final class Acceptor extends ChannelInboundHandlerAdapter {
        private final Consumer<Channel> init;

        Acceptor(Consumer<Channel> init) {
            this.init = init;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Channel child = (Channel) msg;
            configureData(child);
            ChannelOpener.adopt(ctx.channel().eventLoop(), child, init);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("passive listener {}: {}", ctx.channel().localAddress(), cause.toString());
        }
    }

    /** The options every data connection has: reads start off, bounded outbound buffer, large reads. */
    private static void configureData(Channel ch) {
        ch.config().setAutoRead(false);
        ch.config().setWriteBufferWaterMark(WATER_MARK);
        ch.config().setRecvByteBufAllocator(DATA_READS);
    }

    /** An accepted data connection, registered: the PROXY header first where one is due, then the expectation. */
    private void initAccepted(Channel ch, PassiveListener listener, String sessionId, Consumer<Channel> onAccepted, boolean pooled) {
        if (proxyHeaderOnData && pooled) {
            InetAddress balancer = ((InetSocketAddress) ch.remoteAddress()).getAddress();
            if (!trustedBalancer.test(balancer)) {
                refuse(ch, listener, sessionId, balancer.getHostAddress(), "not in proxy-protocol.trusted-balancers");
                return;
            }
            // The TCP peer is the balancer; the header says who the client is.
            ch.pipeline().addLast("idle", idleHandler());
            ch.pipeline().addLast("proxy-header-decoder", new io.netty.handler.codec.haproxy.HAProxyMessageDecoder());
            DataProxyHeaderGate gate = new DataProxyHeaderGate((ctx, source) -> {
                if (source == null) {
                    refuse(ch, listener, sessionId, ((InetSocketAddress) ch.remoteAddress()).getAddress().getHostAddress(),
                            "no PROXY header naming a client address");
                } else {
                    admit(ch, listener, source, sessionId, onAccepted, pooled);
                }
            });
            ch.pipeline().addLast("proxy-header-gate", gate);
            ch.eventLoop().schedule(() -> {
                if (!gate.decided()) {
                    refuse(ch, listener, sessionId, ((InetSocketAddress) ch.remoteAddress()).getAddress().getHostAddress(),
                            "no PROXY header");
                }
            }, timeouts.dataConnect().toMillis(), TimeUnit.MILLISECONDS);
            ch.read();
            return;
        }
        ch.pipeline().addLast("idle", idleHandler());
        admit(ch, listener, ((InetSocketAddress) ch.remoteAddress()).getAddress(), sessionId, onAccepted, pooled);
    }

    /**
     * The expectation for this port and peer is claimed, or the connection is refused. A client's
     * passive listener (pooled) goes on listening until its owner confirms or re-arms it
     * (PassiveListener.confirm, rearm); connections meanwhile find no expectation and are refused.
     */
    private void admit(Channel ch, PassiveListener listener, InetAddress peer, String sessionId, Consumer<Channel> onAccepted,
                       boolean pooled) {
        if (listener == null || table.claim(listener.port(), peer).isEmpty()) {
            refuse(ch, listener, sessionId, peer.getHostAddress(), "no matching expectation");
            return;
        }
        if (!pooled) {
            listener.stopAccepting();
        }
        onAccepted.accept(ch);
    }

    /** Theft guard: not a byte read or written, and the expectation stays for the real client. */
    private void refuse(Channel ch, PassiveListener listener, String sessionId, String peer, String why) {
        metrics.blocked(ProxyMetrics.Blocked.THEFT);
        log.warn("{} blocked data connection to port {} from {} ({})", sessionId, listener == null ? -1 : listener.port(), peer, why);
        ch.close();
    }

    /** Connects a data connection to {@code target}, from {@code local} (port 0: any). AUTO_READ starts off. */
    public ChannelFuture connect(EventLoop loop, InetSocketAddress target, InetSocketAddress local) {
        Channel ch = transport.socketChannels().newChannel();
        if (transparentOutgoing) {
            TransparentSockets.transparent(ch);
        }
        configureData(ch);
        ch.config().setOption(ChannelOption.SO_REUSEADDR, true);
        ch.config().setConnectTimeoutMillis((int) timeouts.dataConnect().toMillis());
        ch.pipeline().addLast("idle", idleHandler());
        return ChannelOpener.connect(loop, ch, target, local);
    }

    private IdleStateHandler idleHandler() {
        return new IdleStateHandler(0, 0, timeouts.idle().toSeconds(), TimeUnit.SECONDS);
    }
}
