package dev.portcullis.control;

import dev.portcullis.backend.BackendMember;
import dev.portcullis.config.BackendTlsConfig;
import dev.portcullis.config.HostAndPort;
import dev.portcullis.config.DataPolicy.BackendDataMode;
import dev.portcullis.config.Limits;
import dev.portcullis.config.ProxyProtocolConfig;
import dev.portcullis.config.TlsConfig;
import dev.portcullis.config.DataPolicy.BackendPasvAddress;
import dev.portcullis.data.Addresses;
import dev.portcullis.nat.NatMapping;
import dev.portcullis.data.DataRelay;
import dev.portcullis.data.DataRelay.Side;
import dev.portcullis.data.DataSetup;
import dev.portcullis.data.PassiveListener;
import dev.portcullis.ftp.ExtendedHostPort;
import dev.portcullis.ftp.FtpCommand;
import dev.portcullis.ftp.FtpReply;
import dev.portcullis.ftp.HostPort;
import dev.portcullis.ftp.Verbs;
import dev.portcullis.metrics.ProxyMetrics;
import dev.portcullis.policy.StrictProtocol;
import dev.portcullis.policy.Verdict;
import dev.portcullis.rewrite.FeatFilter;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's FTP session through the proxy: the client control channel, the backend control
 * channel, and the data setup of the moment. Every channel of a session runs on the client
 * channel's event loop, so the fields here need no locks.
 *
 * <p>Client commands are taken one at a time (while a transfer runs, ABOR, STAT and NOOP may
 * overtake it); each gets a {@link ReplySlot}, and replies leave in command order. Commands the
 * proxy does not handle itself go to the backend byte-exact; each forwarded command leaves a
 * {@link Pending} that the backend's replies are matched to, in order.
 */
public final class ControlSession {

    private static final Logger log = LoggerFactory.getLogger("portcullis.session");
    private static final int MAX_QUEUED_COMMANDS = 32;
    private static final long LINGER_MILLIS = 2000;

    /**
     * What to do with the backend's replies to one command the proxy sent.
     *
     * @param proxyNanos for a client's command: the time it spent in the proxy before going out
     *                   (-1 for the proxy's own commands, which are not measured)
     */
    private static final class Pending {
        final String what;
        final Consumer<FtpReply> onReply;
        final long proxyNanos;
        /** The backend-reply deadline; cancelled when the final reply comes, so nothing outlives the command. */
        io.netty.util.concurrent.ScheduledFuture<?> deadline;

        Pending(String what, Consumer<FtpReply> onReply, long proxyNanos) {
            this.what = what;
            this.onReply = onReply;
            this.proxyNanos = proxyNanos;
        }

        String what() {
            return what;
        }

        Consumer<FtpReply> onReply() {
            return onReply;
        }

        long proxyNanos() {
            return proxyNanos;
        }

        void cancelDeadline() {
            if (deadline != null) {
                deadline.cancel(false);
                deadline = null;
            }
        }
    }

    /** Replies that can answer STAT or NOOP but never a transfer command. */
    private static boolean answersStatusQuery(FtpReply r) {
        return r.code() == 200 || r.code() == 211 || r.code() == 212 || r.code() == 213;
    }

    /** A transfer command in flight: its data setup and, once known, the backend's final reply. */
    private static final class Transfer {
        final FtpCommand command;
        final ReplySlot slot;
        final DataSetup setup;
        boolean started;
        FtpReply finalReply;
        final long startNanos = System.nanoTime();

        Transfer(FtpCommand command, ReplySlot slot, DataSetup setup) {
            this.command = command;
            this.slot = slot;
            this.setup = setup;
        }
    }

    private final SessionContext ctx;
    private final Channel client;
    private final String id;
    private final InetAddress clientAddress;
    private final InetSocketAddress realClient;
    private final long startedNanos = System.nanoTime();
    private Channel backend;
    private final boolean implicitTls;
    private final TlsConfig.ListenerPolicy policy;
    private final ClientTls clientTls;

    private final Deque<Object> queued = new ArrayDeque<>();
    private final Deque<ReplySlot> slots = new ArrayDeque<>();
    private final Deque<Pending> outstanding = new ArrayDeque<>();
    private DataSetup setup;
    private Transfer transfer;
    private boolean epsvAll;
    private boolean shuttingDown;
    private long dispatchedNanos;
    private boolean binaryType;
    private boolean loggedIn;
    private boolean draining;
    private boolean closed;
    private int badLines;
    private String user;
    private long transfers;
    private long transfersStarted;
    private int dataPortsHeld;
    /** This session's own rate limit (limits.bandwidth-per-session); null when there is none. */
    private dev.portcullis.data.TokenBucket bandwidth;
    /** The backend of this session (chosen once; null until chosen). */
    private BackendMember member;
    private boolean countedOnMember;
    /** Backends this session could not reach, so that the pool offers another. */
    private final java.util.Set<BackendMember> tried = new java.util.HashSet<>();
    /** Per-user routing before the backend is known; null otherwise or once logged in through. */
    private DeferredLogin deferredLogin;

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
        this.implicitTls = implicitTls;
        this.policy = policy;
        this.clientTls = new ClientTls(policy.policy() == TlsConfig.Policy.OFF ? null : ctx.serverTls());
    }

    public String id() {
        return id;
    }

    // ---------------------------------------------------------------- lifecycle

    void start() {
        if (ctx.bans().isBanned(clientAddress)) {
            closed = true;
            ctx.metrics().blocked(ProxyMetrics.Blocked.LIMIT);
            log.info("{} refused {}: banned after failed logins", id, format(realClient));
            audit("blocked", java.util.Map.of("reason", "ban", "detail", "address banned after failed logins"));
            client.writeAndFlush(Unpooled.wrappedBuffer(
                    FtpReply.of(421, "Too many failed logins from your address; try again later.").raw()));
            closeClientGracefully();
            return;
        }
        Limits limits = ctx.config().limits();
        SessionRegistry.Admission admission = ctx.registry().admit(this, clientAddress, limits.maxSessions(), limits.maxSessionsPerIp());
        if (admission != SessionRegistry.Admission.ADMITTED) {
            // Refused before any backend connection is made: a flood costs the backend nothing.
            closed = true;
            ctx.metrics().blocked(ProxyMetrics.Blocked.LIMIT);
            String text = admission == SessionRegistry.Admission.TOO_MANY
                    ? "Too many connections (" + limits.maxSessions() + "); try again later."
                    : "Too many connections from your address (" + limits.maxSessionsPerIp() + "); try again later.";
            log.info("{} refused {}: {}", id, format(realClient), text);
            audit("blocked", java.util.Map.of("reason", "limit", "detail", text));
            client.writeAndFlush(Unpooled.wrappedBuffer(FtpReply.of(421, text).raw()));
            closeClientGracefully();
            return;
        }
        ctx.metrics().sessionOpened();
        log.info("{} connect from {} to {}{}{}", id, format(realClient), format(client.localAddress()),
                implicitTls ? " (implicit TLS)" : "",
                realClient.equals(client.remoteAddress()) ? "" : " via " + format(client.remoteAddress()));
        audit("connect", java.util.Map.of("listener", format(client.localAddress()), "implicit_tls", implicitTls));
        if (implicitTls) {
            startClientTls(true);
        }
        ReplySlot greeting = newSlot();
        if (ctx.config().transparent().enabled()) {
            Optional<InetSocketAddress> target = originalDestination(greeting);
            if (target.isEmpty()) {
                return;
            }
            member = new BackendMember(new HostAndPort(target.get().getAddress().getHostAddress(), target.get().getPort()));
            client.config().setAutoRead(false);
            openBackend(greeting, banner -> complete(greeting, banner));
            return;
        }
        if (ctx.backends().routesByUser()) {
            // The backend follows from the USER name: the proxy greets and takes the login itself.
            deferredLogin = new DeferredLogin();
            reply(greeting, 220, "Portcullis FTP proxy ready.");
            return;
        }
        client.config().setAutoRead(false);
        if (chooseBackend(greeting)) {
            openBackend(greeting, banner -> complete(greeting, banner));
        }
    }

    /**
     * Picks the next backend for this session (skipping those it could not reach); without one,
     * answers {@code slot} with 421 (530 for a USER name no route matches) and returns false.
     */
    private boolean chooseBackend(ReplySlot slot) {
        String routeUser = deferredLogin == null ? null : user;
        Optional<BackendMember> next = ctx.backends().select(routeUser, tried);
        if (next.isPresent()) {
            member = next.get();
            return true;
        }
        if (deferredLogin != null && ctx.backends().routeFor(String.valueOf(user)).isEmpty()) {
            log.info("{} no user route matches user={}", id, user);
            slot.closeOutcome = null;
            logLogin(FtpReply.of(530, "no route"));
            reply(slot, 530, "Login incorrect.");
            return false;
        }
        log.warn("{} no backend available ({} tried, pool: {})", id, tried.size(), ctx.backends().members());
        ctx.metrics().blocked(ProxyMetrics.Blocked.LIMIT);
        slot.closeOutcome = "backend_unavailable";
        reply(slot, 421, "Service not available: no FTP server is available right now; try again later.");
        return false;
    }

    /** Resolves and connects the chosen backend; on failure tries the next one of the pool. */
    private void openBackend(ReplySlot slot, Consumer<FtpReply> onReady) {
        Bootstrap b = new Bootstrap()
                .group(client.eventLoop())
                .channel(ctx.transport().socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) ctx.config().timeouts().backendConnect().toMillis())
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(HandlerNames.REPLY_DECODER,
                                new FtpReplyDecoder(ctx.config().limits().maxLineLength() * 2, ctx.config().limits().maxReplyLines()));
                        ch.pipeline().addLast(HandlerNames.BACKEND_CONTROL, new BackendControlHandler(ControlSession.this));
                    }
                });
        if (ctx.config().transparent().spoofClient()) {
            dev.portcullis.transparent.TransparentSockets.transparent(b);
        }
        long connectStart = System.nanoTime();
        InetSocketAddress address = member.socketAddress();
        ctx.backendResolver().resolve(client.eventLoop(), address, ctx.config().timeouts().backendConnect())
                .addListener(resolved -> {
                    if (closed) {
                        return;
                    }
                    if (!resolved.isSuccess()) {
                        ctx.metrics().backendConnect(System.nanoTime() - connectStart, false);
                        log.warn("{} backend {} cannot be resolved: {}", id, address.getHostString(), resolved.cause().toString());
                        backendUnreachable(slot, onReady, "Service not available: the FTP server's name cannot be resolved.");
                        return;
                    }
                    connectBackend(b, (InetSocketAddress) resolved.getNow(), slot, onReady, connectStart);
                });
    }

    /** This backend failed to connect: the next one of the pool, if any, else 421. */
    private void backendUnreachable(ReplySlot slot, Consumer<FtpReply> onReady, String text) {
        if (!ctx.config().transparent().enabled()) {
            tried.add(member);
            member = null;
            Optional<BackendMember> next = ctx.backends().select(deferredLogin == null ? null : user, tried);
            if (next.isPresent()) {
                member = next.get();
                log.info("{} trying backend {} instead", id, member);
                openBackend(slot, onReady);
                return;
            }
        }
        slot.closeOutcome = "backend_unavailable";
        reply(slot, 421, text);
    }

    private void connectBackend(Bootstrap b, InetSocketAddress target, ReplySlot greeting, Consumer<FtpReply> onReady, long connectStart) {
        ChannelFuture connecting = ctx.config().transparent().spoofClient()
                ? b.connect(target, new InetSocketAddress(clientAddress, 0)) : b.connect(target);
        connecting.addListener((ChannelFutureListener) f -> {
            if (closed) {
                f.channel().close();
                return;
            }
            ctx.metrics().backendConnect(System.nanoTime() - connectStart, f.isSuccess());
            if (!f.isSuccess()) {
                log.warn("{} backend {} unreachable: {}", id, member, f.cause().getMessage());
                backendUnreachable(greeting, onReady, "Service not available: the FTP server cannot be reached.");
                return;
            }
            backend = f.channel();
            member.sessionStarted();
            countedOnMember = true;
            log.info("{} backend {} via {}", id, format(backend.remoteAddress()), format(backend.localAddress()));
            sendProxyHeader();
            if (ctx.backendTls() != null && ctx.config().backendTls().mode() == BackendTlsConfig.Mode.IMPLICIT) {
                SslHandler tls = newBackendTlsHandler(backend);
                backend.pipeline().addFirst(HandlerNames.TLS, tls);
                tls.handshakeFuture().addListener(h -> ctx.metrics().tlsHandshake(ProxyMetrics.TlsSide.BACKEND_CONTROL, h.isSuccess()));
            }
            Pending greetingPending = new Pending("greeting", r -> {
                if (r.isPreliminary()) {
                    preliminary(greeting, r);
                    return;
                }
                if (r.code() == 220 && ctx.backendTls() != null) {
                    secureBackend(greeting, r, onReady); // the client's commands wait until the backend is secured
                    return;
                }
                if (r.code() != 220) {
                    greeting.closeOutcome = "backend_unavailable";
                    complete(greeting, r);
                    return;
                }
                onReady.accept(r);
            }, -1);
            outstanding.add(greetingPending);
            watchReply(greetingPending); // a backend that accepts but never greets
            client.config().setAutoRead(true);
        });
    }

    /**
     * Transparent mode: where the client was really connecting to (the accepted socket's local
     * address under TPROXY, SO_ORIGINAL_DST under REDIRECT), if it is allowed; else 421 on
     * {@code greeting} and empty.
     */
    private Optional<InetSocketAddress> originalDestination(ReplySlot greeting) {
        dev.portcullis.config.TransparentConfig t = ctx.config().transparent();
        Optional<InetSocketAddress> dst = t.mode() == dev.portcullis.config.TransparentConfig.Mode.TPROXY
                ? Optional.of((InetSocketAddress) client.localAddress())
                : dev.portcullis.transparent.TransparentSockets.originalDestination(client);
        int listenerPort = client.parent() == null ? -1 : ((InetSocketAddress) client.parent().localAddress()).getPort();
        String refusal = dev.portcullis.transparent.DestinationCheck.refusal(t, dst, listenerPort,
                dev.portcullis.transparent.DestinationCheck::isLocalAddress).orElse(null);
        if (refusal != null) {
            log.warn("{} transparent: {}", id, refusal);
            ctx.metrics().blocked(ProxyMetrics.Blocked.POLICY);
            audit("blocked", java.util.Map.of("reason", "transparent", "detail", refusal));
            greeting.closeOutcome = "backend_unavailable";
            reply(greeting, 421, "Service not available: " + refusal + ".");
            return Optional.empty();
        }
        log.info("{} transparent: original destination {}", id, format(dst.get()));
        return dst;
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
        for (Pending p : outstanding) {
            p.cancelDeadline(); // scheduled tasks would keep the whole session reachable until they fire
        }
        outstanding.clear();
        discardSetup();
        if (transfer != null) {
            transfer.setup.close();
            transfer = null;
        }
        if (backend != null) {
            backend.close();
        }
        if (countedOnMember) {
            member.sessionEnded();
        }
        closeClientGracefully();
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startedNanos);
        log.info("{} close ({}) after {} s, {} transfer(s)", id, reason, seconds, transfers);
        ctx.metrics().sessionClosed(outcome);
        audit("close", java.util.Map.of("outcome", outcome, "seconds", seconds, "transfers", transfers));
        // Last: whoever sees the registry empty also sees the session's metrics and audit lines.
        ctx.registry().remove(this, clientAddress);
    }

    /**
     * Graceful shutdown (SIGTERM): a session without a running transfer gets 421 now; one with a
     * transfer gets it right after the transfer's final reply. Runs on the session's event loop.
     */
    public void shutdown() {
        client.eventLoop().execute(() -> {
            shuttingDown = true;
            if (transfer == null) {
                closeWith(421, "Service not available: the proxy is shutting down.", "shutdown");
            }
        });
    }

    /** The drain timeout passed: 421 now, even with a transfer running. */
    public void forceShutdown() {
        client.eventLoop().execute(() -> closeWith(421, "Service not available: the proxy is shutting down.", "shutdown"));
    }

    private void audit(String type, java.util.Map<String, Object> fields) {
        ctx.audit().event(new dev.portcullis.audit.AuditEvent(java.time.Instant.now(), type, id,
                clientAddress.getHostAddress(), fields));
    }

    /**
     * Flushes, sends FIN, and discards what the client still sends for a moment before closing:
     * closing a socket with unread input makes the kernel send a reset, which can destroy the
     * final reply (421 and its reason) before the client reads it.
     */
    private void closeClientGracefully() {
        client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
            if (client instanceof io.netty.channel.socket.SocketChannel sc && sc.isActive()) {
                dev.portcullis.data.HalfClose.shutdownOutput(sc);
                client.config().setAutoRead(true);
                client.eventLoop().schedule(() -> client.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
            } else {
                client.close();
            }
        });
    }

    private void closeWith(int code, String text, String outcome) {
        if (!closed) {
            client.writeAndFlush(Unpooled.wrappedBuffer(FtpReply.of(code, text).raw()));
            close(outcome, text);
        }
    }

    void onClientIdle() {
        if (transfer != null && !transfer.setup.relay().isDone()) {
            return; // a transfer is moving data; the data connections have their own idle limit
        }
        log.info("{} idle for {} s", id, ctx.config().timeouts().idle().toSeconds());
        closeWith(421, "Idle timeout (" + ctx.config().timeouts().idle().toSeconds() + " s): closing control connection.", "idle");
    }

    void onBackendClosed() {
        if (!closed) {
            closeWith(421, "Service not available: the FTP server closed the connection.", "backend_closed");
        }
    }

    void onBackendError(Throwable cause) {
        if (!closed) {
            ctx.metrics().protocolViolation();
            log.warn("{} backend control error: {}", id, cause.getMessage());
            closeWith(421, "Service not available: the FTP server sent an invalid reply.", "backend_error");
        }
    }

    /** PROXY protocol towards the backend (proxy-protocol.send-to-backend), before anything else is sent. */
    private void sendProxyHeader() {
        ProxyProtocolConfig.SendVersion version = ctx.config().proxyProtocol().sendToBackend();
        if (version != ProxyProtocolConfig.SendVersion.OFF) {
            backend.writeAndFlush(Unpooled.wrappedBuffer(ProxyHeaders.encode(version, realClient, (InetSocketAddress) client.localAddress())));
        }
    }

    // ---------------------------------------------------------------- TLS towards the backend

    /** TLS client handler for any of this session's backend connections: one session-cache key for all. */
    private SslHandler newBackendTlsHandler(Channel ch) {
        InetSocketAddress remote = (InetSocketAddress) backend.remoteAddress();
        int keyPort = ((InetSocketAddress) backend.localAddress()).getPort();
        return ctx.backendTls().newHandler(ch.alloc(), remote.getHostString(), keyPort);
    }

    /**
     * Explicit: AUTH TLS, the handshake, then PBSZ 0 and PROT P. Implicit: the handshake happened
     * before the greeting; PBSZ 0 and PROT P follow. Only then does the client get the greeting.
     */
    private void secureBackend(ReplySlot greeting, FtpReply banner, Consumer<FtpReply> onReady) {
        Runnable protect = () -> sendToBackend("PBSZ 0", pbsz -> {
            if (pbsz.isPreliminary()) {
                return;
            }
            sendToBackend("PROT P", prot -> {
                if (prot.isPreliminary()) {
                    return;
                }
                if (pbsz.code() != 200 || prot.code() != 200) {
                    backendTlsFailed(greeting, "PBSZ/PROT refused: " + pbsz.lines().get(0) + " / " + prot.lines().get(0));
                    return;
                }
                onReady.accept(banner);
            });
        });
        if (ctx.config().backendTls().mode() == BackendTlsConfig.Mode.IMPLICIT) {
            protect.run();
            return;
        }
        sendToBackend("AUTH TLS", r -> {
            if (r.isPreliminary()) {
                return;
            }
            if (r.code() != 234) {
                backendTlsFailed(greeting, "AUTH TLS refused: " + r.lines().get(0));
                return;
            }
            SslHandler tls = newBackendTlsHandler(backend);
            backend.pipeline().addFirst(HandlerNames.TLS, tls);
            tls.handshakeFuture().addListener(f -> {
                ctx.metrics().tlsHandshake(ProxyMetrics.TlsSide.BACKEND_CONTROL, f.isSuccess());
                if (closed) {
                    return;
                }
                if (!f.isSuccess()) {
                    backendTlsFailed(greeting, "handshake failed: " + dev.portcullis.tls.HandshakeFailure.describe(f.cause()));
                    return;
                }
                log.debug("{} TLS to backend: {} {}", id, tls.engine().getSession().getProtocol(), tls.engine().getSession().getCipherSuite());
                protect.run();
            });
        });
    }

    private void backendTlsFailed(ReplySlot greeting, String why) {
        log.warn("{} TLS to the backend failed: {}", id, why);
        greeting.closeOutcome = "backend_tls_failed";
        reply(greeting, 421, "Service not available: a secure connection to the FTP server could not be made.");
    }

    // ---------------------------------------------------------------- client commands

    void onClientMessage(Object msg) {
        if (closed) {
            return;
        }
        if (ctx.config().commands().strictProtocol() && strictViolation(msg)) {
            return;
        }
        queued.add(msg);
        if (queued.size() >= MAX_QUEUED_COMMANDS) {
            client.config().setAutoRead(false); // a client pipelining too far ahead waits for replies
        }
        drain();
    }

    /**
     * Strict protocol (policy.strict-protocol), in the spirit of Cisco ASA {@code inspect ftp strict}:
     * a command pipelined behind an unanswered PORT/EPRT/PASV/EPSV, a line ending in a bare LF, or
     * a client line that looks like a reply (a client faking {@code 227}) closes the session with 421.
     */
    private boolean strictViolation(Object msg) {
        boolean pending = slots.stream().anyMatch(s -> s.dataSetup) || queued.stream().anyMatch(ControlSession::isDataSetup);
        Optional<String> what = StrictProtocol.violation(msg instanceof FtpCommand c ? c : null, msg == CommandFrameError.BARE_LF, pending);
        if (what.isEmpty()) {
            return false;
        }
        ctx.metrics().blocked(ProxyMetrics.Blocked.POLICY);
        log.info("{} strict protocol violation: {}", id, what.get());
        audit("blocked", java.util.Map.of("reason", "strict", "detail", what.get()));
        closeWith(421, "Protocol violation: " + what.get() + ".", "bad_input");
        return true;
    }

    private static boolean isDataSetup(Object msg) {
        return msg instanceof FtpCommand c && StrictProtocol.isDataSetup(c);
    }

    private void drain() {
        if (draining) {
            return;
        }
        draining = true;
        try {
            while (!closed && !queued.isEmpty() && canDispatch(queued.peek())) {
                dispatch(queued.poll());
            }
        } finally {
            draining = false;
        }
        if (!closed && (backend != null || deferredLogin != null) && queued.size() < MAX_QUEUED_COMMANDS / 2) {
            client.config().setAutoRead(true);
        }
    }

    private boolean canDispatch(Object next) {
        if (slots.isEmpty()) {
            return true;
        }
        // While a transfer runs the client may abort it or ask for its status.
        return transfer != null && slots.peekFirst() == transfer.slot && slots.size() < 4
                && next instanceof FtpCommand c && Verbs.DURING_TRANSFER.contains(c.verb());
    }

    private void dispatch(Object msg) {
        dispatchedNanos = System.nanoTime();
        ReplySlot slot = newSlot();
        slot.overtaking = !slots.isEmpty() && slots.peekFirst() != slot; // admitted by canDispatch during a transfer
        slot.dataSetup = isDataSetup(msg);
        if (msg instanceof CommandFrameError error) {
            onBadLine(slot, error);
            return;
        }
        FtpCommand c = (FtpCommand) msg;
        log.debug("{} > {}", id, c.loggable());
        String verb = c.verb();
        if (verb.isEmpty()) {
            reply(slot, 500, "Empty command.");
        } else if (refusedForPlainText(slot, c)) {
            return;
        } else if (refusedByPolicy(slot, c)) {
            return;
        } else if (Verbs.SECURITY.contains(verb)) {
            onSecurityCommand(slot, c);
        } else if (deferredLogin != null) {
            onBeforeLogin(slot, c);
        } else if (Verbs.LONG_ADDRESS.contains(verb)) {
            reply(slot, 502, verb + " is not supported; use EPSV or EPRT.");
        } else if (Verbs.TRANSFER.contains(verb)) {
            onTransfer(slot, c);
        } else {
            switch (verb) {
                case "PASV" -> onPassive(slot, c, false);
                case "EPSV" -> onExtendedPassive(slot, c);
                case "PORT" -> onActive(slot, c, HostPort.parsePortArgument(c.argument()));
                case "EPRT" -> onActive(slot, c, ExtendedHostPort.parseEprtArgument(c.argument()));
                case "ABOR" -> onAbort(slot, c);
                case "QUIT" -> forward(slot, c, r -> {
                    slot.closeOutcome = r.isPreliminary() ? null : "quit";
                    passThrough(slot, r);
                });
                case "FEAT" -> {
                    FeatFilter feat = clientTls.available() ? ctx.featFilter() : ctx.featFilterWithoutTls();
                    forward(slot, c, r -> passThrough(slot, r.isPreliminary() ? r : feat.filter(r)));
                }
                case "USER" -> {
                    user = c.argumentUtf8().length() > 64 ? c.argumentUtf8().substring(0, 64) : c.argumentUtf8();
                    forward(slot, c, r -> {
                        logLogin(r);
                        passThrough(slot, r);
                    });
                }
                case "PASS", "ACCT" -> forward(slot, c, r -> {
                    logLogin(r);
                    passThrough(slot, r);
                });
                case "TYPE" -> forward(slot, c, r -> {
                    if (r.code() == 200) {
                        binaryType = c.argument().strip().toUpperCase(java.util.Locale.ROOT).startsWith("I")
                                || c.argument().strip().toUpperCase(java.util.Locale.ROOT).startsWith("L");
                    }
                    passThrough(slot, r);
                });
                default -> forward(slot, c, r -> passThrough(slot, r));
            }
        }
    }

    /** Per-user routing: the proxy answers until PASS, then logs in through the chosen backend. */
    private void onBeforeLogin(ReplySlot slot, FtpCommand c) {
        if (c.verb().equals("QUIT")) {
            slot.closeOutcome = "quit";
            reply(slot, 221, "Goodbye.");
            return;
        }
        if (c.verb().equals("USER")) {
            user = c.argumentUtf8().length() > 64 ? c.argumentUtf8().substring(0, 64) : c.argumentUtf8();
        }
        Optional<FtpReply> own = deferredLogin.answer(c, clientTls.available());
        if (own.isPresent()) {
            complete(slot, own.get());
            return;
        }
        // PASS: now the backend can be chosen.
        if (chooseBackend(slot)) {
            log.info("{} user={} routed to backend {}", id, user, member);
            openBackend(slot, banner -> loginThrough(slot, c));
        }
    }

    /** Replays the client's pre-login commands, USER and PASS on the new backend; PASS's slot gets the outcome. */
    private void loginThrough(ReplySlot slot, FtpCommand pass) {
        DeferredLogin d = deferredLogin;
        deferredLogin = null;
        for (FtpCommand early : d.replay()) {
            sendRawToBackend(early, r -> { }); // answered by the proxy already; the backend's answer only informs it
        }
        sendRawToBackend(d.userCommand().orElseThrow(), r -> {
            if (r.isPreliminary()) {
                return;
            }
            if (r.code() == 331 || r.code() == 332) {
                forward(slot, pass, p -> {
                    logLogin(p);
                    passThrough(slot, p);
                });
            } else {
                logLogin(r); // 230 without a password, or 530 for the name
                passThrough(slot, r);
            }
        });
    }

    private void onBadLine(ReplySlot slot, CommandFrameError error) {
        badLines++;
        String text = switch (error) {
            case TOO_LONG -> "Command line too long (the limit is " + ctx.config().limits().maxLineLength() + " bytes).";
            case NUL_BYTE -> "NUL bytes are not allowed in commands.";
            case BARE_LF -> "Commands must end in CR LF.";
        };
        if (badLines >= ctx.config().limits().maxBadLines()) {
            log.info("{} too many invalid command lines ({})", id, badLines);
            slot.closeOutcome = "bad_input";
            ctx.metrics().blocked(ProxyMetrics.Blocked.LIMIT);
            reply(slot, 421, text + " Too many invalid commands: closing control connection.");
            return;
        }
        reply(slot, 500, text);
    }

    /**
     * RFC 2228/4217 commands are the proxy's own business: the client's TLS ends here, and the
     * backend side (plain or TLS) is set up by the proxy independently.
     */
    private void onSecurityCommand(ReplySlot slot, FtpCommand c) {
        String arg = c.argument().strip().toUpperCase(java.util.Locale.ROOT);
        switch (c.verb()) {
            case "AUTH" -> {
                if (!clientTls.available()) {
                    reply(slot, 502, "AUTH is not available: TLS is not enabled on this proxy.");
                } else if (clientTls.active()) {
                    reply(slot, 503, "TLS is already active on this connection.");
                } else if (!arg.equals("TLS") && !arg.equals("SSL") && !arg.equals("TLS-C") && !arg.equals("TLS-P")) {
                    reply(slot, 504, "AUTH " + arg + " is not supported; use AUTH TLS.");
                } else {
                    reply(slot, 234, "AUTH " + arg + " successful.");
                    // Anything the client pipelined after AUTH was sent in clear text: never act on it.
                    if (!queued.isEmpty()) {
                        log.warn("{} discarded {} command(s) sent after AUTH before TLS", id, queued.size());
                        queued.clear();
                    }
                    ((FtpCommandDecoder) client.pipeline().get(HandlerNames.COMMAND_DECODER)).discardPartialLine();
                    startClientTls(false);
                }
            }
            case "PBSZ" -> {
                if (!clientTls.active()) {
                    reply(slot, 503, "PBSZ needs a security exchange first (AUTH TLS).");
                } else {
                    clientTls.pbsz();
                    reply(slot, 200, "PBSZ=0");
                }
            }
            case "PROT" -> onProt(slot, arg);
            case "CCC" -> reply(slot, 534, "CCC refused: the control connection stays protected.");
            default -> reply(slot, 502, c.verb() + " is not supported.");
        }
    }

    private void onProt(ReplySlot slot, String level) {
        if (!clientTls.active()) {
            reply(slot, 503, "PROT needs a security exchange first (AUTH TLS).");
        } else if (!clientTls.pbszDone()) {
            reply(slot, 503, "PROT needs PBSZ first.");
        } else if (level.equals("P")) {
            clientTls.protectData(true);
            reply(slot, 200, "PROT now Private.");
        } else if (level.equals("C")) {
            if (policy.dataProtection() == TlsConfig.DataProtection.PRIVATE_REQUIRED) {
                reply(slot, 534, "PROT C refused: this server requires protected data connections (PROT P).");
            } else {
                clientTls.protectData(false);
                reply(slot, 200, "PROT now Clear.");
            }
        } else {
            reply(slot, 536, "PROT " + level + " is not supported; use PROT P.");
        }
    }

    private void startClientTls(boolean implicit) {
        clientTls.start(client, implicit).addListener(f -> {
            ctx.metrics().tlsHandshake(ProxyMetrics.TlsSide.CLIENT_CONTROL, f.isSuccess());
            if (f.isSuccess()) {
                log.info("{} TLS on control: {}", id, clientTls.describe(client));
            } else if (!closed) {
                log.info("{} TLS handshake with client failed: {}", id, dev.portcullis.tls.HandshakeFailure.describe(f.cause()));
                close("tls_failed", "TLS handshake failed");
            }
        });
    }

    /** Commands refused by configuration (policy.deny-commands, policy.deny-anonymous). */
    private boolean refusedByPolicy(ReplySlot slot, FtpCommand c) {
        Verdict v = ctx.commandPolicy().check(c);
        if (v.allowed()) {
            return false;
        }
        ctx.metrics().blocked(ProxyMetrics.Blocked.POLICY);
        log.info("{} refused by policy: {}", id, c.loggable());
        audit("blocked", java.util.Map.of("reason", "policy", "detail", c.verb()));
        reply(slot, v.replyCode(), v.replyText());
        return true;
    }

    /** Whether the client must secure the control connection before this command. */
    private boolean refusedForPlainText(ReplySlot slot, FtpCommand c) {
        if (policy.policy() != TlsConfig.Policy.REQUIRED || clientTls.active()) {
            return false;
        }
        if (c.verb().equals("USER") || c.verb().equals("PASS") || c.verb().equals("ACCT")
                || Verbs.TRANSFER.contains(c.verb())) {
            reply(slot, 530, "TLS is required on this server: use AUTH TLS before logging in.");
            return true;
        }
        return false;
    }

    private void logLogin(FtpReply r) {
        if (r.code() == 230) {
            loggedIn = true;
            log.info("{} login user={}", id, user);
            audit("login", java.util.Map.of("user", String.valueOf(user), "tls", clientTls.active()));
        } else if (r.code() == 530) {
            log.info("{} login failed user={}", id, user);
            audit("login_failed", java.util.Map.of("user", String.valueOf(user), "tls", clientTls.active()));
            if (ctx.bans().recordFailure(clientAddress)) {
                audit("banned", java.util.Map.of("reason", "ban", "until", ctx.bans().active().getOrDefault(clientAddress.getHostAddress(), 0L)));
                ctx.metrics().blocked(ProxyMetrics.Blocked.LIMIT);
                // After the 530 has gone out (this runs before it is queued), the session ends.
                client.eventLoop().execute(() -> closeWith(421, "Too many failed logins from your address; try again later.", "banned"));
            }
        }
    }

    // ---------------------------------------------------------------- data setup: PASV/EPSV

    private void onExtendedPassive(ReplySlot slot, FtpCommand c) {
        String arg = c.argument().strip();
        if (arg.equalsIgnoreCase("ALL")) {
            // RFC 2428: after EPSV ALL only EPSV may set up data connections. The proxy keeps the
            // promise itself; the backend side is the proxy's own business.
            epsvAll = true;
            reply(slot, 200, "EPSV ALL command successful.");
            return;
        }
        if (!arg.isEmpty() && !arg.equals("1") && !arg.equals("2")) {
            reply(slot, 522, "Network protocol not supported, use (1,2).");
            return;
        }
        onPassive(slot, c, true);
    }

    /**
     * Takes one passive port from this session's and this address's budgets; 425 on {@code slot}
     * and null when either is spent. The returned action gives it back, once, however often it runs.
     */
    private Runnable takeDataPort(ReplySlot slot) {
        Limits limits = ctx.config().limits();
        String refusal = null;
        if (dataPortsHeld >= limits.maxDataPortsPerSession()) {
            refusal = "this session already holds " + dataPortsHeld + " data port(s), the most allowed";
        } else if (!ctx.portBudget().tryTake(clientAddress, limits.maxDataPortsPerIp())) {
            refusal = "your address already holds " + limits.maxDataPortsPerIp() + " data ports, the most allowed";
        }
        if (refusal != null) {
            ctx.metrics().blocked(ProxyMetrics.Blocked.LIMIT);
            log.info("{} passive port refused: {}", id, refusal);
            reply(slot, 425, "Can't open data connection: " + refusal + "; finish or abort a transfer first.");
            return null;
        }
        dataPortsHeld++;
        boolean[] given = {false};
        return () -> {
            if (!given[0]) {
                given[0] = true;
                dataPortsHeld--;
                ctx.portBudget().give(clientAddress);
            }
        };
    }

    private void onPassive(ReplySlot slot, FtpCommand c, boolean extended) {
        if (epsvAll && !extended) {
            reply(slot, 503, "EPSV ALL is in effect: only EPSV is accepted.");
            return;
        }
        InetAddress local = ((InetSocketAddress) client.localAddress()).getAddress();
        Inet4Address announce = ctx.config().publicAddress().map(Addresses::ipv4).orElse(Addresses.ipv4(local));
        if (!extended && announce == null) {
            reply(slot, 425, "PASV cannot express this connection's IPv6 address; use EPSV.");
            return;
        }
        DataSetup s = replaceSetup(DataSetup.passive());
        InetAddress expectedPeer = ctx.config().proxyProtocol().accept()
                && ctx.config().proxyProtocol().dataPeerCheck() == ProxyProtocolConfig.DataPeerCheck.OFF ? null : clientAddress;
        Runnable release = takeDataPort(slot);
        if (release == null) {
            return;
        }
        // TPROXY: the client reached the server's address, which is not this host's; the passive
        // listener takes the wildcard address and TPROXY delivers the data connection to it.
        InetAddress bindAddress = ctx.config().transparent().mode() == dev.portcullis.config.TransparentConfig.Mode.TPROXY
                ? Addresses.wildcardFor(local) : local;
        Future<PassiveListener> bound = ctx.dataConnector().listenPooled(
                client.eventLoop(), bindAddress, id, expectedPeer, ch -> onClientDataAccepted(s, ch), release);
        bound.addListener(f -> {
            if (!f.isSuccess()) {
                release.run();
                if (s == setup) {
                    setup = null;
                }
                log.warn("{} {}: {}", id, c.verb(), f.cause().getMessage());
                reply(slot, 425, "Can't open data connection: no passive port is free, try again later.");
                return;
            }
            PassiveListener listener = bound.getNow();
            s.clientListener(listener);
            if (s.isClosed() || closed) {
                return; // replaced or session gone while binding; the listener is released already
            }
            scheduleExpiry(s, listener);
            prepareBackendSide(slot, s, () -> forwardInKernelIfEligible(s, listener, () -> {
                s.markReady();
                String text = extended
                        ? ExtendedHostPort.extendedPassiveReplyText(listener.port())
                        : HostPort.passiveReplyText(announce, listener.port());
                ctx.metrics().rewrite(extended ? "epsv" : "pasv");
                reply(slot, extended ? 229 : 227, text);
            }));
        });
    }

    /**
     * With data.kernel-nat, has netfilter forward the client's data connection for {@code s} straight
     * to the backend's data port, then runs {@code announce}. The passive listener stays bound: it
     * holds the port, and a connection from any other address still reaches it and is refused as
     * theft. Where the kernel cannot take the transfer (TLS, IPv6, backend active mode) or nft fails,
     * {@code announce} runs at once and the proxy relays the data as usual.
     */
    private void forwardInKernelIfEligible(DataSetup s, PassiveListener listener, Runnable announce) {
        dev.portcullis.nat.KernelNat nat = ctx.kernelNat();
        NatMapping m = nat == null || !nat.available() || clientTls.protectData() || ctx.backendTls() != null
                || s.backendTarget() == null || s.isClosed() ? null : natMapping(s, listener);
        if (m == null) {
            announce.run();
            return;
        }
        // By netlink the answer is in before map returns, and this runs here at once; the nft process
        // answers on a thread of its own (or times out), and the session goes on on its event loop.
        nat.map(m).whenComplete((v, e) -> {
            if (client.eventLoop().inEventLoop()) {
                kernelMappingAnswered(s, nat, m, e, announce);
            } else {
                client.eventLoop().execute(() -> kernelMappingAnswered(s, nat, m, e, announce));
            }
        });
    }

    private void kernelMappingAnswered(DataSetup s, dev.portcullis.nat.KernelNat nat, NatMapping m, Throwable failure, Runnable announce) {
        if (failure != null) {
            nat.abandon(m);
            log.warn("{} kernel NAT mapping {} failed ({}); this transfer is relayed", id, m, failure.getMessage());
        } else {
            s.markInKernel();
            s.onClose(() -> nat.unmap(m)); // at once if the setup was discarded meanwhile
            log.debug("{} data forwarded by the kernel: {}", id, m);
        }
        announce.run();
    }

    private NatMapping natMapping(DataSetup s, PassiveListener listener) {
        Inet4Address clientV4 = Addresses.ipv4(clientAddress);
        Inet4Address publicV4 = Addresses.ipv4(((InetSocketAddress) client.localAddress()).getAddress());
        Inet4Address backendV4 = Addresses.ipv4(s.backendTarget().getAddress());
        Inet4Address sourceV4 = Addresses.ipv4(((InetSocketAddress) backend.localAddress()).getAddress());
        if (clientV4 == null || publicV4 == null || backendV4 == null || sourceV4 == null) {
            return null; // the proxy's table is IPv4 only
        }
        return new NatMapping(clientV4, publicV4, listener.port(), backendV4, s.backendTarget().getPort(), sourceV4);
    }

    private void onClientDataAccepted(DataSetup s, Channel ch) {
        attachClientData(s, ch);
        connectBackendDataIfDue(s);
    }

    /** Joins a client data connection to the relay, in TLS (server role, RFC 4217) under PROT P. */
    private void attachClientData(DataSetup s, Channel ch) {
        if (clientTls.protectData()) {
            SslHandler tls = clientTls.newDataHandler(ch);
            ch.pipeline().addFirst(HandlerNames.TLS, tls);
            tls.handshakeFuture().addListener(f -> {
                ctx.metrics().tlsHandshake(ProxyMetrics.TlsSide.CLIENT_DATA, f.isSuccess());
                log.debug("{} client data TLS handshake: {}", id, f.isSuccess() ? tls.engine().getSession().getProtocol() : f.cause().toString());
            });
            if (ctx.config().tls().requireSessionReuse()) {
                tls.handshakeFuture().addListener(f -> {
                    if (f.isSuccess() && !clientTls.resumedControlSession(tls)) {
                        ctx.metrics().blocked(ProxyMetrics.Blocked.THEFT);
                        log.warn("{} data connection from {} did not resume the control TLS session; closed",
                                id, format(ch.remoteAddress()));
                        audit("blocked", java.util.Map.of("reason", "theft", "detail", "data connection without TLS session reuse"));
                        s.relay().abort(); // the transfer fails (426), it is never reported complete
                    }
                });
            }
        }
        s.relay().attach(Side.CLIENT, ch);
    }

    /** Joins a backend data connection to the relay, in TLS (client role) when the backend side is TLS. */
    private void attachBackendData(DataSetup s, Channel ch) {
        if (ctx.backendTls() != null) {
            SslHandler tls = newBackendTlsHandler(ch);
            ch.pipeline().addFirst(HandlerNames.TLS, tls);
            tls.handshakeFuture().addListener(f -> ctx.metrics().tlsHandshake(ProxyMetrics.TlsSide.BACKEND_DATA, f.isSuccess()));
        }
        s.relay().attach(Side.BACKEND, ch);
    }

    private void scheduleExpiry(DataSetup s, PassiveListener listener) {
        long ttl = ctx.config().timeouts().expectation().toNanos();
        io.netty.util.concurrent.ScheduledFuture<?> expiry = client.eventLoop().schedule(() -> {
            if (s.inKernel() && transfer != null && transfer.setup == s) {
                return; // the kernel carries this transfer; its final reply ends the setup
            }
            if (listener.expireIfUnclaimed()) {
                log.info("{} data expectation on port {} expired unused", id, listener.port());
                if (setup == s) {
                    discardSetup(); // the next transfer command gets 425 instead of waiting for nothing
                } else {
                    s.relay().abort(); // a transfer was waiting on it: the backend's reply follows
                }
            }
        }, ttl, TimeUnit.NANOSECONDS);
        s.onClose(() -> expiry.cancel(false));
    }

    // ---------------------------------------------------------------- data setup: PORT/EPRT

    private void onActive(ReplySlot slot, FtpCommand c, Optional<InetSocketAddress> target) {
        if (epsvAll) {
            reply(slot, 503, "EPSV ALL is in effect: only EPSV is accepted.");
            return;
        }
        if (target.isEmpty()) {
            reply(slot, 501, "Syntax error in " + c.verb() + " arguments.");
            return;
        }
        Verdict v = ctx.bounceGuard().check(clientAddress, target.get(), c.verb());
        if (!v.allowed()) {
            ctx.metrics().blocked(ProxyMetrics.Blocked.BOUNCE);
            log.warn("{} blocked {} to {} ({})", id, c.verb(), format(target.get()), v.reason());
            audit("blocked", java.util.Map.of("reason", v.reason(), "detail", c.verb() + " " + format(target.get())));
            reply(slot, v.replyCode(), v.replyText());
            return;
        }
        DataSetup s = replaceSetup(DataSetup.active(target.get()));
        prepareBackendSide(slot, s, () -> {
            s.markReady();
            ctx.metrics().rewrite(c.verb().toLowerCase(java.util.Locale.ROOT));
            reply(slot, 200, c.verb() + " command successful.");
        });
    }

    // ---------------------------------------------------------------- backend side of a data setup

    /**
     * Prepares the proxy's own data path to the backend for {@code s}, then runs {@code onReady}.
     * A refusal by the backend is relayed to the client as the answer to its command.
     */
    private void prepareBackendSide(ReplySlot slot, DataSetup s, Runnable onReady) {
        if (ctx.config().data().backendMode() == BackendDataMode.ACTIVE) {
            prepareBackendActive(slot, s, onReady);
        } else if (member.capabilities().epsvRefused()) {
            sendBackendPasv(slot, s, onReady);
        } else {
            sendToBackend("EPSV", r -> {
                if (r.isPreliminary()) {
                    return;
                }
                if (r.code() == 229) {
                    OptionalInt port = ExtendedHostPort.parseExtendedPassiveReply(r.text());
                    if (port.isEmpty()) {
                        backendDataFailed(slot, s, "invalid 229 reply: " + r);
                        return;
                    }
                    s.backendTarget(new InetSocketAddress(backendAddress(), port.getAsInt()));
                    afterBackendReady(s, onReady);
                } else if (r.code() >= 500 && r.code() != 530) {
                    // The backend does not do EPSV (e.g. an old IPv4-only server): use PASV from now on.
                    member.capabilities().markEpsvRefused();
                    log.info("{} backend refused EPSV ({}); using PASV towards it from now on", id, r.code());
                    sendBackendPasv(slot, s, onReady);
                } else {
                    s.close();
                    complete(slot, r);
                }
            });
        }
    }

    private void sendBackendPasv(ReplySlot slot, DataSetup s, Runnable onReady) {
        sendToBackend("PASV", r -> {
            if (r.isPreliminary()) {
                return;
            }
            if (r.code() != 227) {
                s.close();
                complete(slot, r);
                return;
            }
            Optional<InetSocketAddress> announced = HostPort.parsePassiveReply(r.text());
            if (announced.isEmpty()) {
                backendDataFailed(slot, s, "invalid 227 reply: " + r);
                return;
            }
            // By default the announced address is ignored: backends behind NAT announce private or
            // 0.0.0.0 addresses, and honouring it would let a backend aim the proxy anywhere.
            InetAddress host = ctx.config().data().backendPasvAddress() == BackendPasvAddress.ANNOUNCED
                    && !announced.get().getAddress().isAnyLocalAddress()
                    ? announced.get().getAddress() : backendAddress();
            s.backendTarget(new InetSocketAddress(host, announced.get().getPort()));
            afterBackendReady(s, onReady);
        });
    }

    private void prepareBackendActive(ReplySlot slot, DataSetup s, Runnable onReady) {
        InetAddress source = ctx.config().data().backendActiveSource()
                .orElse(((InetSocketAddress) backend.localAddress()).getAddress());
        Future<PassiveListener> bound = ctx.dataConnector().listenEphemeral(
                client.eventLoop(), source, id, backendAddress(), ch -> attachBackendData(s, ch));
        bound.addListener(f -> {
            if (!f.isSuccess()) {
                backendDataFailed(slot, s, "cannot listen for the backend's data connection: " + f.cause().getMessage());
                return;
            }
            PassiveListener listener = bound.getNow();
            s.backendListener(listener);
            if (s.isClosed() || closed) {
                return;
            }
            InetSocketAddress announce = new InetSocketAddress(source, listener.port());
            Inet4Address v4 = Addresses.ipv4(source);
            String command = v4 != null ? "PORT " + HostPort.format(v4, listener.port()) : "EPRT " + ExtendedHostPort.formatEprt(announce);
            sendToBackend(command, r -> {
                if (r.isPreliminary()) {
                    return;
                }
                if (r.code() != 200) {
                    s.close();
                    complete(slot, r);
                    return;
                }
                onReady.run();
            });
        });
    }

    private void afterBackendReady(DataSetup s, Runnable onReady) {
        onReady.run();
        connectBackendDataIfDue(s); // the client may already be connected to its passive port
    }

    private void backendDataFailed(ReplySlot slot, DataSetup s, String why) {
        ctx.metrics().protocolViolation();
        log.warn("{} backend data setup failed: {}", id, why);
        s.close();
        reply(slot, 425, "Can't open data connection: the FTP server's data setup failed.");
    }

    /**
     * Connects to the backend's data port once it is known and the client side has asked for it:
     * in client passive mode when the client's data connection arrives, in client active mode when
     * the transfer command goes out.
     */
    private void connectBackendDataIfDue(DataSetup s) {
        boolean due = s.clientMode() == DataSetup.ClientMode.PASSIVE ? s.relay().isAttached(Side.CLIENT) : transfer != null && transfer.setup == s;
        if (!due || !s.startBackendConnect()) {
            return;
        }
        InetSocketAddress local = new InetSocketAddress(((InetSocketAddress) backend.localAddress()).getAddress(), 0);
        s.relay().connecting(Side.BACKEND);
        ctx.dataConnector().connect(client.eventLoop(), s.backendTarget(), local).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                log.debug("{} data connection to backend {} open", id, format(s.backendTarget()));
                attachBackendData(s, f.channel());
            } else {
                log.warn("{} backend data connection to {} failed: {}", id, format(s.backendTarget()), f.cause().toString());
                s.relay().abort();
            }
        });
    }

    private void connectClientData(DataSetup s) {
        if (!s.startClientConnect()) {
            return;
        }
        InetAddress local = ((InetSocketAddress) client.localAddress()).getAddress();
        InetSocketAddress from = new InetSocketAddress(local, ctx.config().data().activeSourcePort());
        s.relay().connecting(Side.CLIENT);
        ctx.dataConnector().connect(client.eventLoop(), s.activeClientTarget(), from).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                log.debug("{} data connection to client {} open", id, format(s.activeClientTarget()));
                attachClientData(s, f.channel());
            } else {
                log.warn("{} data connection to client {} failed: {}", id, format(s.activeClientTarget()), f.cause().toString());
                s.relay().abort();
            }
        });
    }

    // ---------------------------------------------------------------- transfers

    private void onTransfer(ReplySlot slot, FtpCommand c) {
        if (policy.dataProtection() == TlsConfig.DataProtection.PRIVATE_REQUIRED && !clientTls.protectData()) {
            discardSetup();
            reply(slot, 521, "Data connections must be protected: use PBSZ 0 and PROT P.");
            return;
        }
        if (setup == null || !setup.isReady()) {
            discardSetup();
            reply(slot, 425, "Use PASV, EPSV, PORT or EPRT first.");
            return;
        }
        int maxTransfers = ctx.config().limits().maxTransfersPerSession();
        if (maxTransfers > 0 && transfersStarted >= maxTransfers) {
            discardSetup();
            ctx.metrics().blocked(ProxyMetrics.Blocked.LIMIT);
            log.info("{} transfer refused: limit of {} per session reached", id, maxTransfers);
            reply(slot, 450, "Transfer limit reached (" + maxTransfers + " per session); reconnect to continue.");
            return;
        }
        if (setup.inKernel() && clientTls.protectData()) {
            discardSetup(); // the kernel would carry the client's TLS to a backend port that expects plain data
            reply(slot, 425, "Data protection changed after PASV/EPSV; send PASV or EPSV again.");
            return;
        }
        transfersStarted++;
        Transfer t = new Transfer(c, slot, setup);
        setup = null; // one-shot: the next transfer needs a new PASV/PORT
        transfer = t;
        if (t.setup.inKernel()) {
            forward(slot, c, r -> onTransferReply(t, r));
            return; // no relay: the backend's final reply ends the transfer
        }
        t.setup.relay().onDone(r -> {
            if (t.finalReply != null) {
                finishTransfer(t);
            }
        });
        forward(slot, c, r -> onTransferReply(t, r));
        if (t.setup.clientMode() == DataSetup.ClientMode.ACTIVE) {
            connectBackendDataIfDue(t.setup);
        }
    }

    private void onTransferReply(Transfer t, FtpReply r) {
        if (r.isPreliminary()) {
            t.started = true;
            preliminary(t.slot, r);
            if (t.setup.clientMode() == DataSetup.ClientMode.ACTIVE) {
                connectClientData(t.setup); // the backend started the transfer: now call the client
            }
            return;
        }
        t.finalReply = r;
        if (t.setup.inKernel()) {
            finishTransfer(t);
            return;
        }
        DataRelay relay = t.setup.relay();
        // On success, hold the reply until every byte is relayed: a client must never see 226
        // while data is still in flight. On failure, or when no data connection ever came, stop now.
        if (r.isNegative() || !relay.isEngaged()) {
            relay.abort();
        }
        if (relay.isDone()) {
            finishTransfer(t);
        }
    }

    private void finishTransfer(Transfer t) {
        if (transfer != t) {
            return;
        }
        transfer = null;
        transfers++;
        DataRelay relay = t.setup.relay();
        FtpReply reply = t.finalReply;
        ProxyMetrics.Direction direction = switch (t.command.verb()) {
            case "RETR" -> ProxyMetrics.Direction.DOWNLOAD;
            case "STOR", "STOU", "APPE" -> ProxyMetrics.Direction.UPLOAD;
            default -> ProxyMetrics.Direction.LISTING;
        };
        DataRelay.Side receiver = direction == ProxyMetrics.Direction.UPLOAD ? DataRelay.Side.BACKEND : DataRelay.Side.CLIENT;
        boolean inKernel = t.setup.inKernel();
        if (!inKernel && (relay.wasAborted() || relay.lostBytesTowards(receiver)) && reply.isPositiveCompletion()) {
            // The backend finished, but the proxy could not deliver every byte: never report that as success.
            reply = FtpReply.of(426, "Connection closed; transfer aborted: the data connection failed.");
        }
        t.setup.close();
        String mode = t.setup.clientMode().name().toLowerCase(java.util.Locale.ROOT);
        // Bytes the kernel forwarded never pass through the proxy: it counts none (the backend's own log has them).
        long bytes = relay.bytesBackendToClient() + relay.bytesClientToBackend();
        long millis = TimeUnit.NANOSECONDS.toMillis(inKernel ? System.nanoTime() - t.startNanos : relay.elapsedNanos());
        String path = t.command.argument().isEmpty() ? "-" : t.command.argumentUtf8();
        log.info("{} transfer {} {} bytes={} ms={} mode={} relay={} result={}", id, t.command.verb(), path, inKernel ? "-" : bytes, millis, mode,
                inKernel ? "kernel" : relay.zeroCopied() ? "splice" : "copy", reply.code());
        ctx.metrics().transfer(direction, mode, reply.isPositiveCompletion(), relay.bytesClientToBackend(), relay.bytesBackendToClient());
        ctx.audit().transfer(new dev.portcullis.audit.TransferRecord(java.time.Instant.now(), millis, id,
                clientAddress.getHostAddress(), String.valueOf(user), isAnonymous(), t.command.verb(), path, bytes,
                direction.name().toLowerCase(java.util.Locale.ROOT), mode, clientTls.protectData(), binaryType,
                reply.isPositiveCompletion(), reply.code()));
        complete(t.slot, reply);
        if (shuttingDown) {
            closeWith(421, "Service not available: the proxy is shutting down.", "shutdown");
        }
    }

    private boolean isAnonymous() {
        return "anonymous".equalsIgnoreCase(user) || "ftp".equalsIgnoreCase(user);
    }

    private void onAbort(ReplySlot slot, FtpCommand c) {
        if (transfer != null) {
            // Closing both data connections stops the backend at once even where it would only
            // notice ABOR as urgent data, which a proxy cannot send; the backend then answers
            // the transfer (426) and the ABOR (226) in order.
            transfer.setup.relay().abort();
        }
        forward(slot, c, r -> passThrough(slot, r));
    }

    // ---------------------------------------------------------------- backend replies

    void onBackendReply(FtpReply r) {
        if (closed) {
            return;
        }
        log.debug("{} < {}", id, r.lines().get(0));
        Pending p = outstanding.peek();
        if (p == null) {
            if (r.code() == 421) {
                closeWith(421, r.text(), "backend_closed");
            } else {
                ctx.metrics().protocolViolation();
                log.warn("{} dropped an unsolicited reply from the backend: {}", id, r.lines().get(0));
            }
            return;
        }
        if (!r.isPreliminary() && transfer != null && outstanding.size() > 1 && answersStatusQuery(r)) {
            // A server that answers STAT or NOOP while its transfer runs (RFC 959 allows it) sends
            // that reply before the transfer's own 226: give it to the query, not the transfer.
            for (java.util.Iterator<Pending> it = outstanding.iterator(); it.hasNext(); ) {
                Pending q = it.next();
                if (q.what().equals("STAT") || q.what().equals("NOOP")) {
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

    /** Hands a reply to its pending command; for a client's command, records the proxy's added latency. */
    private void deliver(Pending p, FtpReply r) {
        long arrived = System.nanoTime();
        if (!r.isPreliminary()) {
            p.cancelDeadline();
        }
        p.onReply().accept(r);
        if (p.proxyNanos() >= 0 && !r.isPreliminary()) {
            ctx.metrics().addedLatency(p.proxyNanos() + System.nanoTime() - arrived);
        }
    }

    /** Relays a backend reply unchanged, except a passive-mode reply the client did not ask for. */
    private void passThrough(ReplySlot slot, FtpReply r) {
        if (r.code() == 227 || r.code() == 229) {
            // Only the reply to the proxy's own PASV/EPSV may carry the backend's data address; any
            // other one would leak it to the client, so it is never relayed.
            ctx.metrics().protocolViolation();
            log.warn("{} backend sent {} out of turn; not relayed", id, r.code());
            reply(slot, 451, "Requested action aborted: the FTP server sent an unexpected reply.");
            return;
        }
        if (r.isPreliminary()) {
            preliminary(slot, r);
        } else {
            complete(slot, r);
        }
    }

    private void forward(ReplySlot slot, FtpCommand c, Consumer<FtpReply> onReply) {
        Pending p = new Pending(c.verb(), onReply, System.nanoTime() - dispatchedNanos);
        outstanding.add(p);
        watchReply(p);
        backend.writeAndFlush(Unpooled.wrappedBuffer(c.wireBytes()));
    }

    /**
     * A backend that stops answering must not hang the client: if {@code p} is still unanswered
     * after timeouts.backend-reply (data moving for a transfer does not count), the session ends
     * with 421.
     */
    private void watchReply(Pending p) {
        long ms = ctx.config().timeouts().backendReply().toMillis();
        p.deadline = client.eventLoop().schedule(() -> {
            if (closed || !outstanding.contains(p)) {
                return;
            }
            if (transfer != null && (transfer.setup.inKernel()
                    || transfer.setup.relay().isEngaged() && !transfer.setup.relay().isDone())) {
                watchReply(p); // the data is still moving (or the kernel moves it, unseen): the final reply may follow it
                return;
            }
            log.warn("{} backend did not answer {} within {} ms", id, p.what(), ms);
            closeWith(421, "Service not available: the FTP server did not answer in time.", "backend_timeout");
        }, ms, TimeUnit.MILLISECONDS);
    }

    private void sendToBackend(String line, Consumer<FtpReply> onReply) {
        sendRawToBackend(FtpCommand.parse(line.getBytes(java.nio.charset.StandardCharsets.US_ASCII)), onReply);
    }

    /** A command of the proxy's own (not a client's: no slot, no latency measured). */
    private void sendRawToBackend(FtpCommand c, Consumer<FtpReply> onReply) {
        if (closed) {
            return;
        }
        Pending p = new Pending(c.verb().equals("PASS") ? "PASS" : c.loggable(), onReply, -1);
        outstanding.add(p);
        watchReply(p);
        backend.writeAndFlush(Unpooled.wrappedBuffer(c.wireBytes()));
    }

    // ---------------------------------------------------------------- replies to the client, in order

    private ReplySlot newSlot() {
        ReplySlot s = new ReplySlot();
        slots.add(s);
        return s;
    }

    private void reply(ReplySlot slot, int code, String text) {
        complete(slot, FtpReply.of(code, text));
    }

    private void preliminary(ReplySlot slot, FtpReply r) {
        slot.replies.add(r);
        flushSlots();
    }

    private void complete(ReplySlot slot, FtpReply r) {
        slot.replies.add(r);
        slot.done = true;
        flushSlots();
    }

    private void flushSlots() {
        if (closed) {
            return;
        }
        boolean wrote = false;
        while (!slots.isEmpty()) {
            ReplySlot head = slots.peekFirst();
            wrote |= writeReplies(head);
            if (!head.done) {
                break;
            }
            slots.pollFirst();
            if (head.closeOutcome != null) {
                client.flush();
                close(head.closeOutcome, head.closeOutcome.equals("quit") ? "QUIT" : "closed after the reply");
                return;
            }
        }
        // Commands admitted during a transfer (STAT, NOOP) are answered while it runs, as a client
        // expects; the transfer's own final reply still comes after its preliminary one.
        if (!slots.isEmpty() && transfer != null && transfer.started && slots.peekFirst() == transfer.slot) {
            for (java.util.Iterator<ReplySlot> it = slots.iterator(); it.hasNext(); ) {
                ReplySlot s = it.next();
                if (s == transfer.slot) {
                    continue;
                }
                if (!s.overtaking || !s.done) {
                    break;
                }
                wrote |= writeReplies(s);
                it.remove();
            }
        }
        if (wrote) {
            client.flush();
        }
        drain();
    }

    private boolean writeReplies(ReplySlot slot) {
        for (FtpReply r : slot.replies) {
            client.write(Unpooled.wrappedBuffer(r.raw()));
        }
        boolean wrote = !slot.replies.isEmpty();
        slot.replies.clear();
        return wrote;
    }

    // ---------------------------------------------------------------- helpers

    private DataSetup replaceSetup(DataSetup s) {
        discardSetup();
        setup = s;
        s.relay().throttle(rateLimits());
        if (ctx.splice() != null && ctx.config().data().zeroCopy()) {
            s.relay().zeroCopy(ctx.splice(), ctx.config().timeouts().idle());
        }
        return s;
    }

    /** The rate limits a transfer of this session takes its bytes from: its own, and the global one. */
    private java.util.List<dev.portcullis.data.TokenBucket> rateLimits() {
        long perSession = ctx.config().limits().bandwidthPerSession();
        if (perSession > 0 && bandwidth == null) {
            bandwidth = new dev.portcullis.data.TokenBucket(perSession, System::nanoTime);
        }
        java.util.List<dev.portcullis.data.TokenBucket> limits = new java.util.ArrayList<>(2);
        if (bandwidth != null) {
            limits.add(bandwidth);
        }
        if (ctx.bandwidthTotal().rate() > 0) {
            limits.add(ctx.bandwidthTotal());
        }
        return limits;
    }

    private void discardSetup() {
        if (setup != null) {
            setup.close();
            setup = null;
        }
    }

    private InetAddress backendAddress() {
        return ((InetSocketAddress) backend.remoteAddress()).getAddress();
    }

    private static String format(Object address) {
        if (address instanceof InetSocketAddress a) {
            String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
            return (a.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + a.getPort();
        }
        return String.valueOf(address);
    }
}
