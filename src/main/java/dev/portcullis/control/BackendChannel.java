package dev.portcullis.control;

import dev.portcullis.ftp.FtpCommand;
import dev.portcullis.ftp.FtpReply;
import dev.portcullis.metrics.ProxyMetrics;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The backend's control channel, as the handler at the end of its pipeline: the commands sent and
 * not yet answered, in order, each with its reply deadline. Every backend reply goes to the oldest
 * unanswered command, except a status reply that a server sends while its transfer runs (RFC 959
 * allows STAT and NOOP then), which goes to that query.
 */
final class BackendChannel extends ChannelInboundHandlerAdapter {

    /** What the channel needs to know of its session. */
    interface Session {
        boolean isClosed();

        /** Whether a transfer runs (its STAT or NOOP may be answered before its final reply). */
        boolean transferRunning();

        /** Whether data is still moving for the running transfer: a missing final reply may follow it. */
        boolean dataMoving();

        /** {@code what} went unanswered past the deadline. */
        void onReplyTimeout(String what, long millis);

        /** A reply came that no command asked for. */
        void onUnsolicitedReply(FtpReply r);

        void onBackendClosed();

        void onBackendError(Throwable cause);
    }

    /** What to do with the backend's replies to one command. */
    private static final class Pending {
        final String what;
        final Consumer<FtpReply> onReply;
        /** For a client's command: the time it spent in the proxy before going out; -1 for the proxy's own. */
        final long proxyNanos;
        /** When its final reply is due, on the event loop's clock. */
        long dueNanos;

        Pending(String what, Consumer<FtpReply> onReply, long proxyNanos, long dueNanos) {
            this.what = what;
            this.onReply = onReply;
            this.proxyNanos = proxyNanos;
            this.dueNanos = dueNanos;
        }
    }

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger("portcullis.session");

    private final String id;
    private final Session session;
    private final ProxyMetrics metrics;
    private final long replyTimeoutMillis;
    private final long replyTimeoutNanos;
    private final Deque<Pending> outstanding = new ArrayDeque<>();
    /** The one timer for every outstanding command's deadline (none armed: null), see {@link #watch()}. */
    private ScheduledFuture<?> deadlineTimer;
    private Channel channel;
    /** Let go of by its session (per-user routing after a refused login): nothing more reaches the session. */
    private boolean detached;

    BackendChannel(String id, Session session, ProxyMetrics metrics, Duration replyTimeout) {
        this.id = id;
        this.session = session;
        this.metrics = metrics;
        this.replyTimeoutMillis = replyTimeout.toMillis();
        this.replyTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(replyTimeoutMillis);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    Channel channel() {
        return channel;
    }

    InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    InetSocketAddress remoteAddress() {
        return (InetSocketAddress) channel.remoteAddress();
    }

    /** A client's command, byte-exact; {@code proxyNanos} is the time it spent in the proxy so far. */
    void forward(FtpCommand c, long proxyNanos, Consumer<FtpReply> onReply) {
        send(new Pending(c.verb(), onReply, proxyNanos, now() + replyTimeoutNanos), c);
    }

    /** A command of the proxy's own (not measured as added latency). */
    void send(String line, Consumer<FtpReply> onReply) {
        send(FtpCommand.parse(line.getBytes(StandardCharsets.US_ASCII)), onReply);
    }

    /** A client's command the proxy sends on its own account (a replayed login): not measured. */
    void send(FtpCommand c, Consumer<FtpReply> onReply) {
        if (!session.isClosed()) {
            send(new Pending(c.verb().equals("PASS") ? "PASS" : c.loggable(), onReply, -1, now() + replyTimeoutNanos), c);
        }
    }

    /** Waits for a reply nothing was sent for (the greeting). */
    void expect(String what, Consumer<FtpReply> onReply) {
        outstanding.add(new Pending(what, onReply, -1, now() + replyTimeoutNanos));
        watch();
    }

    private void send(Pending p, FtpCommand c) {
        outstanding.add(p);
        watch();
        channel.writeAndFlush(Unpooled.wrappedBuffer(c.wireBytes()));
    }

    /** The session no longer uses this connection: its replies, end and errors are ignored. */
    void detach() {
        detached = true;
        cancelAll();
    }

    /** Cancels the deadline timer: a scheduled task would keep the whole session reachable until it fires. */
    void cancelAll() {
        if (deadlineTimer != null) {
            deadlineTimer.cancel(false);
            deadlineTimer = null;
        }
        outstanding.clear();
    }

    /**
     * A backend that stops answering must not hang the client: a command still unanswered
     * timeouts.backend-reply after it went out (data moving for a transfer does not count) ends the
     * session. One timer serves every outstanding command, armed for the earliest deadline: a timer
     * per command would be scheduled and cancelled for nearly every command of every session. A
     * command's deadline is never earlier than those of the commands before it, so an armed timer
     * is never late for a new command; when it fires early (its command was answered) it re-arms.
     */
    private void watch() {
        if (deadlineTimer == null) {
            arm(outstanding.peek().dueNanos - now());
        }
    }

    private void arm(long delayNanos) {
        deadlineTimer = channel.eventLoop().schedule(this::checkDeadlines, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
    }

    /** The event loop's clock, which the timer runs on (a test's embedded loop moves it by hand). */
    private long now() {
        return channel.eventLoop().ticker().nanoTime();
    }

    private void checkDeadlines() {
        deadlineTimer = null;
        if (detached || session.isClosed()) {
            return;
        }
        long now = now();
        long next = Long.MAX_VALUE;
        for (Pending p : outstanding) {
            if (p.dueNanos - now <= 0) {
                if (!session.dataMoving()) {
                    session.onReplyTimeout(p.what, replyTimeoutMillis);
                    return;
                }
                p.dueNanos = now + replyTimeoutNanos;
            }
            next = Math.min(next, p.dueNanos - now);
        }
        if (next != Long.MAX_VALUE) {
            arm(next);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        onReply((FtpReply) msg);
    }

    void onReply(FtpReply r) {
        if (detached || session.isClosed()) {
            return;
        }
        log.debug("{} < {}", id, r.lines().get(0));
        Pending p = outstanding.peek();
        if (p == null) {
            session.onUnsolicitedReply(r);
            return;
        }
        if (!r.isPreliminary() && session.transferRunning() && outstanding.size() > 1 && answersStatusQuery(r)) {
            // A server that answers STAT or NOOP while its transfer runs sends that reply before the
            // transfer's own 226: give it to the query, not the transfer.
            for (Iterator<Pending> it = outstanding.iterator(); it.hasNext(); ) {
                Pending q = it.next();
                if (q.what.equals("STAT") || q.what.equals("NOOP")) {
                    it.remove();
                    deliver(q, r);
                    return;
                }
            }
        }
        if (!r.isPreliminary()) {
            outstanding.poll();
        }
        deliver(p, r);
    }

    /** Replies that can answer STAT or NOOP but never a transfer command. */
    private static boolean answersStatusQuery(FtpReply r) {
        return r.code() == 200 || r.code() == 211 || r.code() == 212 || r.code() == 213;
    }

    private void deliver(Pending p, FtpReply r) {
        long arrived = System.nanoTime();
        p.onReply.accept(r);
        if (p.proxyNanos >= 0 && !r.isPreliminary()) {
            metrics.addedLatency(p.proxyNanos + System.nanoTime() - arrived);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!detached) {
            session.onBackendClosed();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!detached) {
            session.onBackendError(cause);
        } else {
            ctx.close();
        }
    }
}
