package dev.portcullis.backend;

import dev.portcullis.Transport;
import dev.portcullis.config.HealthCheckConfig;
import dev.portcullis.config.Limits;
import dev.portcullis.control.FtpReplyDecoder;
import dev.portcullis.tls.BackendTls;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active FTP-level health checks of every pool member ({@link HealthProbe}): TCP connect and a
 * {@code 220} banner, optionally {@code AUTH TLS} with a completed handshake and a login with a
 * probe account, all within the check timeout; then QUIT. The checks run on the proxy's own event
 * loops with the sessions' reply decoder and TLS client context, each member at most once at a
 * time. State changes are logged.
 */
public final class HealthChecker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("portcullis.backend");

    private final Set<BackendMember> inFlight = ConcurrentHashMap.newKeySet();
    private final EventLoopGroup loops;
    private final Transport transport;
    private final BackendResolver resolver;
    private final BackendPool pool;
    private final Supplier<HealthCheckConfig> config;
    private final Supplier<byte[]> preamble;
    private final Supplier<BackendTls> tls;
    private final Supplier<Limits> limits;
    private final ScheduledFuture<?> timer;

    /**
     * @param preamble bytes sent first on every check (a PROXY protocol header saying "no client"
     *                 for backends that require one), or an empty array
     * @param tls      the TLS client context for checks with AUTH TLS: the sessions' where they use one
     */
    public HealthChecker(EventLoopGroup loops, Transport transport, BackendResolver resolver, BackendPool pool,
                         Supplier<HealthCheckConfig> config, Supplier<BackendTls> tls, Supplier<Limits> limits, Supplier<byte[]> preamble) {
        this.loops = loops;
        this.transport = transport;
        this.resolver = resolver;
        this.pool = pool;
        this.config = config;
        this.tls = tls;
        this.limits = limits;
        this.preamble = preamble;
        long tick = Math.max(50, config.get().interval().toMillis());
        // The interval is read at each round, so a reload that changes it takes effect; the tick is the first one's.
        timer = loops.next().scheduleWithFixedDelay(this::round, 0, tick, TimeUnit.MILLISECONDS);
    }

    private void round() {
        HealthCheckConfig c = config.get();
        if (!c.enabled()) {
            return;
        }
        for (BackendMember m : pool.members()) {
            if (inFlight.add(m)) {
                probe(m, c).addListener(f -> {
                    try {
                        record(m, c, f.isSuccess() ? (String) f.getNow() : null, f.cause());
                    } finally {
                        inFlight.remove(m);
                    }
                });
            }
        }
    }

    private void record(BackendMember m, HealthCheckConfig c, String passed, Throwable failure) {
        boolean ok = failure == null;
        String result = ok ? passed : describe(failure);
        if (m.record(ok, Instant.now() + " " + result, c.rise(), c.fall())) {
            if (m.up()) {
                log.info("backend {} is UP ({} good check(s) in a row: {})", m, c.rise(), result);
            } else {
                log.warn("backend {} is DOWN ({} failed check(s) in a row: {}); it gets no new sessions", m, c.fall(), result);
            }
        }
    }

    private static String describe(Throwable t) {
        Throwable shown = t instanceof UncheckedIOException u ? u.getCause() : t;
        return shown.getClass().getSimpleName() + ": " + dev.portcullis.tls.HandshakeFailure.chain(shown);
    }

    /** One check of {@code m}: resolve, connect, then the probe's dialogue, all within the timeout. */
    private Future<String> probe(BackendMember m, HealthCheckConfig c) {
        EventLoop loop = loops.next();
        Promise<String> result = loop.newPromise();
        long timeoutMillis = c.timeout().toMillis();
        ScheduledFuture<?> deadline = loop.schedule(
                () -> result.tryFailure(new IOException("no answer within " + timeoutMillis + " ms")), timeoutMillis, TimeUnit.MILLISECONDS);
        result.addListener(f -> deadline.cancel(false));
        InetSocketAddress address = m.socketAddress();
        resolver.resolve(loop, address, c.timeout()).addListener(resolved -> {
            if (!resolved.isSuccess()) {
                result.tryFailure(resolved.cause());
                return;
            }
            BackendTls context = c.authTls() ? tls.get() : null;
            if (c.authTls() && context == null) {
                result.tryFailure(new IOException("no TLS client context for the check"));
                return;
            }
            Limits l = limits.get();
            Bootstrap b = new Bootstrap().group(loop).channelFactory(transport.socketChannels())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeoutMillis)
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new FtpReplyDecoder(l.maxLineLength() * 2, l.maxReplyLines()));
                            ch.pipeline().addLast(new HealthProbe(c, preamble.get(), context, address.getHostString(), result));
                        }
                    });
            ChannelFuture connecting = b.connect((InetSocketAddress) resolved.getNow());
            connecting.addListener(f -> {
                if (!f.isSuccess()) {
                    result.tryFailure(f.cause());
                }
            });
            result.addListener(f -> {
                if (!f.isSuccess()) {
                    connecting.channel().close(); // timed out or failed: nothing more is sent
                }
            });
        });
        return result;
    }

    @Override
    public void close() {
        timer.cancel(false);
    }
}
