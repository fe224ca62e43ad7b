package dev.portcullis.os;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * sd_notify(3) for {@code Type=notify} units: datagrams to {@code $NOTIFY_SOCKET} saying READY once
 * every listener is bound, RELOADING/READY around a reload, STOPPING when a drain starts, and
 * WATCHDOG every half of {@code $WATCHDOG_USEC} while the process runs. A JDK cannot send on a Unix
 * datagram socket; Netty's epoll transport can. Without {@code $NOTIFY_SOCKET} every call does
 * nothing (the proxy was not started by systemd, or under {@code Type=exec}).
 */
public final class SystemdNotify implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("portcullis");

    private final EventLoopGroup loop;
    private final Channel channel;
    private final DomainSocketAddress target;
    private String watchdogUsec;
    private String watchdogPid;
    private boolean watchdogStarted;

    private SystemdNotify(EventLoopGroup loop, Channel channel, DomainSocketAddress target) {
        this.loop = loop;
        this.channel = channel;
        this.target = target;
    }

    /** The notifier for this process's environment; one that does nothing where there is no socket to tell. */
    public static SystemdNotify fromEnvironment(Map<String, String> env) {
        String socket = env.get("NOTIFY_SOCKET");
        if (socket == null || socket.isEmpty()) {
            return new SystemdNotify(null, null, null);
        }
        if (!Epoll.isAvailable()) {
            log.warn("NOTIFY_SOCKET is set, but sd_notify needs the native epoll transport ({}): systemd is not told when Portcullis is ready",
                    Epoll.unavailabilityCause());
            return new SystemdNotify(null, null, null);
        }
        // An abstract socket (@name) is the name with a leading NUL byte.
        DomainSocketAddress target = new DomainSocketAddress(socket.startsWith("@") ? "\0" + socket.substring(1) : socket);
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("portcullis-notify", true), EpollIoHandler.newFactory());
        // Connected: Netty's domain datagram channel writes only once bound or connected.
        io.netty.channel.ChannelFuture connected = new Bootstrap().group(loop).channel(EpollDomainDatagramChannel.class)
                .handler(new ChannelInboundHandlerAdapter()).connect(target).awaitUninterruptibly();
        if (!connected.isSuccess()) {
            log.warn("NOTIFY_SOCKET {} cannot be reached ({}): systemd is not told when Portcullis is ready", socket, connected.cause().toString());
            loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            return new SystemdNotify(null, null, null);
        }
        Channel ch = connected.channel();
        SystemdNotify n = new SystemdNotify(loop, ch, target);
        n.watchdogUsec = env.get("WATCHDOG_USEC");
        n.watchdogPid = env.get("WATCHDOG_PID");
        return n;
    }

    private void startWatchdog(String usec, String pid) {
        if (usec == null || (pid != null && !pid.equals(Long.toString(ProcessHandle.current().pid())))) {
            return;
        }
        try {
            long half = Long.parseLong(usec.strip()) / 2;
            if (half > 0) {
                loop.scheduleAtFixedRate(() -> send("WATCHDOG=1"), 0, half, TimeUnit.MICROSECONDS);
            }
        } catch (NumberFormatException e) {
            log.warn("WATCHDOG_USEC '{}' is not a number of microseconds: no watchdog pings", usec);
        }
    }

    /** READY=1; the first one also starts the watchdog pings (systemd expects them from then on). */
    public synchronized void ready(String status) {
        send("READY=1\nSTATUS=" + status + "\nMAINPID=" + ProcessHandle.current().pid());
        if (!watchdogStarted && loop != null) {
            watchdogStarted = true;
            startWatchdog(watchdogUsec, watchdogPid);
        }
    }

    public void reloading() {
        send("RELOADING=1\nMONOTONIC_USEC=" + TimeUnit.NANOSECONDS.toMicros(System.nanoTime()));
    }

    public void stopping(String status) {
        send("STOPPING=1\nSTATUS=" + status);
    }

    private void send(String message) {
        if (channel == null) {
            return;
        }
        channel.writeAndFlush(Unpooled.copiedBuffer(message, StandardCharsets.UTF_8))
                .addListener(f -> {
                    if (!f.isSuccess()) {
                        log.warn("sd_notify to {} failed: {}", target.path().replace('\0', '@'), f.cause().toString());
                    }
                });
    }

    @Override
    public void close() {
        if (loop != null) {
            channel.close().awaitUninterruptibly(1000);
            loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).awaitUninterruptibly(2000);
        }
    }
}
