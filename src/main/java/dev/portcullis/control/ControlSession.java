package dev.portcullis.control;

import dev.portcullis.audit.AuditEvent;
import dev.portcullis.config.Limits;
import dev.portcullis.config.TlsConfig;
import dev.portcullis.data.relay.HalfClose;
import dev.portcullis.ftp.FtpCommand;
import dev.portcullis.ftp.FtpReply;
import dev.portcullis.log.RateLimitedLog;
import dev.portcullis.metrics.ProxyMetrics;
import dev.portcullis.net.Addresses;
import dev.portcullis.net.ClientNetwork;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's FTP session through the proxy: admission, the intake of client commands, their
 * dispatch, and the session's end. Every channel of a session runs on the client channel's event
 * loop, so neither this class nor its collaborators need locks. The collaborators, one concern
 * each: {@link ReplySequencer} (replies in command order), {@link BackendConnector} and
 * {@link BackendChannel} (the backend control connection), {@link LoginRouter} (login and per-user
 * routing), {@link ClientSecurity} (AUTH/PBSZ/PROT), {@link DataChannelBroker} (PASV/EPSV/PORT/EPRT)
 * and {@link TransferTracker} (transfers); what each verb does is in {@link CommandTable}.
 *
 * <p>Client commands are taken one at a time (while a transfer runs, ABOR, STAT and NOOP may
 * overtake it). Commands the proxy does not handle itself go to the backend byte-exact.
 */
public final class ControlSession {

    private static final Logger log = LoggerFactory.getLogger("portcullis.session");
    private static final long LINGER_MILLIS = 2000;
    private static final RateLimitedLog REFUSED_LOG = new RateLimitedLog(Duration.ofSeconds(10));

    private final SessionContext ctx;
    private final Channel client;
    private final String id;
    private final InetAddress clientAddress;
    private final InetAddress clientKey;
    private ScheduledFuture<?> loginDeadline;
    private final InetSocketAddress realClient;
    private final long startedNanos = System.nanoTime();
    private final Instant admittedAt = Instant.now();
    private final boolean implicitTls;
    private final SessionHooks hooks = new SessionHooks(this);
    private final ReplySequencer replies;
    private final BackendConnector connector;
    private final LoginRouter login;
    private final ClientSecurity security;
    private final DataChannelBroker data;
    private final TransferTracker transfers;

    private final CommandIntake intake;
    private boolean shuttingDown;
    private boolean closed;

    /**
     * @param realClient the client's address: the TCP peer, or the source in a PROXY protocol header
     */
    ControlSession(SessionContext ctx, Channel client, boolean implicitTls, TlsConfig.ListenerPolicy policy,
                   InetSocketAddress realClient) {
        this.ctx = ctx;
        this.client = client;
        this.id = ctx.registry().nextId();
        this.realClient = realClient;
        this.clientAddress = realClient.getAddress();
        this.clientKey = ClientNetwork.of(clientAddress, ctx.config().limits().ipv6Prefix());
        this.implicitTls = implicitTls;
        this.replies = new ReplySequencer(client, hooks);
        this.security = new ClientSecurity(this, policy);
        this.login = new LoginRouter(this);
        this.connector = new BackendConnector(this);
        this.data = new DataChannelBroker(this);
        this.transfers = new TransferTracker(this);
        this.intake = new CommandIntake(this);
    }

    public String id() {
        return id;
    }

    /** The session as the admin API shows it, read on its event loop. */
    public io.netty.util.concurrent.Future<SessionView> view() {
        return client.eventLoop().submit(() -> new SessionView(id, Addresses.format(realClient), login.user(),
                connector.member() == null ? null : connector.member().toString(), admittedAt.toString(), transfers.view(), security.active()));
    }

    /** Whether the session is relayed to {@code m} (read on its event loop). */
    public io.netty.util.concurrent.Future<Boolean> usesBackend(dev.portcullis.backend.BackendMember m) {
        return client.eventLoop().submit(() -> connector.member() == m);
    }

    /** The operator closes the session (admin API, a backend put in maintenance): 421 with the reason, now. */
    public void closeByAdmin(String why) {
        client.eventLoop().execute(() -> closeWith(421, "Service not available: " + why + ".", "admin"));
    }

    // ---------------------------------------------------------------- what the collaborators share

    SessionContext ctx() {
        return ctx;
    }

    Channel client() {
        return client;
    }

    /** What limits, port budgets and bans count this client by (its IPv6 network, see {@link ClientNetwork}). */
    InetAddress clientKey() {
        return clientKey;
    }

    InetAddress clientAddress() {
        return clientAddress;
    }

    InetSocketAddress realClient() {
        return realClient;
    }

    boolean isClosed() {
        return closed;
    }

    ReplySequencer replies() {
        return replies;
    }

    BackendConnector connector() {
        return connector;
    }

    BackendChannel.Session backendHooks() {
        return hooks;
    }

    LoginRouter login() {
        return login;
    }

    ClientSecurity security() {
        return security;
    }

    DataChannelBroker data() {
        return data;
    }

    TransferTracker transfers() {
        return transfers;
    }

    CommandIntake intake() {
        return intake;
    }

    void audit(String type, Map<String, Object> fields) {
        if (!ctx.audit().enabled()) {
            return;
        }
        ctx.audit().event(new AuditEvent(Instant.now(), type, id, clientAddress.getHostAddress(), fields));
    }

    // ---------------------------------------------------------------- lifecycle

    void start() {
        if (ctx.bans().isBanned(clientKey)) {
            refuse("ban", "address banned after failed logins", "banned after failed logins",
                    "Too many failed logins from your address; try again later.");
            return;
        }
        Limits limits = ctx.config().limits();
        SessionRegistry.Admission admission = ctx.registry().admit(this, clientKey, limits.maxSessions(), limits.maxSessionsPerIp());
        if (admission != SessionRegistry.Admission.ADMITTED) {
            // Refused before any backend connection is made: a flood costs the backend nothing.
            String text = admission == SessionRegistry.Admission.TOO_MANY
                    ? "Too many connections (" + limits.maxSessions() + "); try again later."
                    : "Too many connections from your address (" + limits.maxSessionsPerIp() + "); try again later.";
            refuse("limit", text, text, text);
            return;
        }
        ctx.metrics().sessionOpened();
        log.info("{} connect from {} to {}{}{}", id, Addresses.format(realClient), Addresses.format(client.localAddress()),
                implicitTls ? " (implicit TLS)" : "",
                realClient.equals(client.remoteAddress()) ? "" : " via " + Addresses.format(client.remoteAddress()));
        audit("connect", Map.of("listener", Addresses.format(client.localAddress()), "implicit_tls", implicitTls));
        armLoginDeadline();
        if (implicitTls) {
            // No backend session for a handshake that may never finish: greet once TLS is up.
            client.config().setAutoRead(true);
            security.startControlTls(true).addListener(f -> {
                if (f.isSuccess() && !closed) {
                    greet();
                }
            });
            return;
        }
        greet();
    }

    /**
     * Connections that never log in are closed after timeouts.login: holding one costs the proxy
     * and the backend a session each, and the idle timer alone is reset by every byte dribbled.
     */
    private void armLoginDeadline() {
        Duration limit = ctx.config().timeouts().login();
        loginDeadline = client.eventLoop().schedule(() -> {
            if (!closed && !login.loggedIn()) {
                log.info("{} not logged in after {} s", id, limit.toSeconds());
                closeWith(421, "Login timeout (" + limit.toSeconds() + " s): closing control connection.", "login_timeout");
            }
        }, limit.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The greeting: the backend's banner (connecting to it now), or the proxy's own under per-user routing. */
    private void greet() {
        ReplySlot greeting = replies.newSlot();
        if (ctx.config().transparent().enabled()) {
            if (connector.useOriginalDestination(greeting)) {
                client.config().setAutoRead(false);
                connector.open(greeting, null, banner -> replies.greeting(greeting, banner));
            }
            return;
        }
        if (ctx.backends().routesByUser()) {
            // The backend follows from the USER name: the proxy greets and takes the login itself.
            login.deferUntilPass();
            replies.reply(greeting, 220, "Portcullis FTP proxy ready.");
            return;
        }
        client.config().setAutoRead(false);
        if (connector.choose(greeting, null)) {
            connector.open(greeting, null, banner -> {
                login.loggedInByGreeting(banner);
                replies.greeting(greeting, banner);
            });
        }
    }

    /** Refused at admission (ban, session limits): 421 and a graceful close, never registered. */
    private void refuse(String reason, String detail, String why, String text) {
        closed = true;
        ctx.metrics().blocked(ProxyMetrics.Blocked.LIMIT);
        REFUSED_LOG.info(log, "{} refused {}: {}", id, Addresses.format(realClient), why); // a flood must not flood the log
        audit("blocked", Map.of("reason", reason, "detail", detail));
        client.writeAndFlush(Unpooled.wrappedBuffer(FtpReply.of(421, text).raw()));
        closeClientGracefully();
    }

    /**
     * Closes everything the session holds; idempotent.
     *
     * @param outcome the metrics tag: one of a small fixed set (quit, client_closed, idle, ...)
     * @param reason  for the log line
     */
    void close(String outcome, String reason) {
        if (closed) {
            return;
        }
        closed = true;
        if (loginDeadline != null) {
            loginDeadline.cancel(false);
        }
        data.discardSetup();
        transfers.close();
        connector.close();
        closeClientGracefully();
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startedNanos);
        log.info("{} close ({}) after {} s, {} transfer(s)", id, reason, seconds, transfers.finishedCount());
        ctx.metrics().sessionClosed(outcome);
        audit("close", Map.of("outcome", outcome, "seconds", seconds, "transfers", transfers.finishedCount()));
        // Last: whoever sees the registry empty also sees the session's metrics and audit lines.
        ctx.registry().remove(this, clientKey);
    }

    /**
     * Graceful shutdown (SIGTERM): a session without a running transfer gets 421 now; one with a
     * transfer gets it right after the transfer's final reply. Runs on the session's event loop.
     */
    public void shutdown() {
        client.eventLoop().execute(() -> {
            shuttingDown = true;
            if (!transfers.running()) {
                closeWith(421, "Service not available: the proxy is shutting down.", "shutdown");
            }
        });
    }

    /** The drain timeout passed: 421 now, even with a transfer running. */
    public void forceShutdown() {
        client.eventLoop().execute(() -> closeWith(421, "Service not available: the proxy is shutting down.", "shutdown"));
    }

    /** A transfer's final reply went out: a shutdown that waited for it goes on. */
    void afterTransfer() {
        if (shuttingDown) {
            closeWith(421, "Service not available: the proxy is shutting down.", "shutdown");
        }
    }

    /**
     * Flushes, sends FIN, and discards what the client still sends for a moment before closing:
     * closing a socket with unread input makes the kernel send a reset, which can destroy the
     * final reply (421 and its reason) before the client reads it.
     */
    private void closeClientGracefully() {
        client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
            if (client instanceof SocketChannel sc && sc.isActive()) {
                HalfClose.shutdownOutput(sc);
                client.config().setAutoRead(true);
                client.eventLoop().schedule(() -> client.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
            } else {
                client.close();
            }
        });
    }

    void closeWith(int code, String text, String outcome) {
        if (!closed) {
            client.writeAndFlush(Unpooled.wrappedBuffer(FtpReply.of(code, text).raw()));
            close(outcome, text);
        }
    }

    void onClientIdle() {
        if (transfers.relaying()) {
            return; // a transfer is moving data; the data connections have their own idle limit
        }
        log.info("{} idle for {} s", id, ctx.config().timeouts().idle().toSeconds());
        closeWith(421, "Idle timeout (" + ctx.config().timeouts().idle().toSeconds() + " s): closing control connection.", "idle");
    }

    // ---------------------------------------------------------------- client commands

    void onClientMessage(Object msg) {
        intake.onClientMessage(msg);
    }

    // ---------------------------------------------------------------- towards the backend

    /** Sends a client's command to the backend byte-exact; {@code onReply} gets its replies. */
    void forward(FtpCommand c, Consumer<FtpReply> onReply) {
        connector.backend().forward(c, intake.nanosSinceDispatch(), onReply);
    }

    /** Relays a backend reply unchanged (the sequencer withholds a passive-mode reply, see {@link ReplySequencer#complete}). */
    void passThrough(ReplySlot slot, FtpReply r) {
        if (r.isPreliminary()) {
            replies.preliminary(slot, r);
        } else {
            replies.complete(slot, r);
        }
    }
}
