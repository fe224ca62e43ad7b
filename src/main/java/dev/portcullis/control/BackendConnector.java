package dev.portcullis.control;

import dev.portcullis.net.Addresses;
import dev.portcullis.backend.BackendMember;
import dev.portcullis.config.BackendTlsConfig;
import dev.portcullis.net.ChannelOpener;
import dev.portcullis.net.HostAndPort;
import dev.portcullis.config.ProxyProtocolConfig;
import dev.portcullis.config.TransparentConfig;
import dev.portcullis.ftp.FtpReply;
import dev.portcullis.metrics.ProxyMetrics;
import dev.portcullis.tls.HandshakeFailure;
import dev.portcullis.transparent.DestinationCheck;
import dev.portcullis.transparent.TransparentSockets;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets one session its backend control connection: chooses the backend (per user or from the pool,
 * or the original destination in transparent mode), resolves and connects it, fails over to the
 * next member when one cannot be reached, sends the PROXY header, secures the connection when TLS
 * towards the backend is on, and waits for the greeting. Failures answer the waiting slot (421).
 */
final class BackendConnector {

    private static final Logger log = LoggerFactory.getLogger("portcullis.session");

    private final ControlSession session;
    private final SessionContext ctx;
    private final Channel client;
    /** Backends this session could not reach, so that the pool offers another. */
    private final Set<BackendMember> tried = new HashSet<>();
    private BackendMember member;
    private boolean countedOnMember;
    private BackendChannel backend;

    BackendConnector(ControlSession session) {
        this.session = session;
        this.ctx = session.ctx();
        this.client = session.client();
    }

    /** The backend's control channel once connected; null before. */
    BackendChannel backend() {
        return backend;
    }

    BackendMember member() {
        return member;
    }

    /** Transparent mode: the backend is where the client was connecting to; false (421 sent) if that is refused. */
    boolean useOriginalDestination(ReplySlot greeting) {
        TransparentConfig t = ctx.config().transparent();
        Optional<InetSocketAddress> dst = t.mode() == TransparentConfig.Mode.TPROXY
                ? Optional.of((InetSocketAddress) client.localAddress())
                : TransparentSockets.originalDestination(client);
        int listenerPort = client.parent() == null ? -1 : ((InetSocketAddress) client.parent().localAddress()).getPort();
        String refusal = DestinationCheck.refusal(t, dst, listenerPort, DestinationCheck::isLocalAddress).orElse(null);
        if (refusal != null) {
            log.warn("{} transparent: {}", session.id(), refusal);
            ctx.metrics().blocked(ProxyMetrics.Blocked.POLICY);
            session.audit("blocked", Map.of("reason", "transparent", "detail", refusal));
            greeting.closeOutcome = "backend_unavailable";
            session.replies().reply(greeting, 421, "Service not available: " + refusal + ".");
            return false;
        }
        log.info("{} transparent: original destination {}", session.id(), Addresses.format(dst.get()));
        InetSocketAddress target = dst.get();
        member = new BackendMember(new HostAndPort(target.getAddress().getHostAddress(), target.getPort()));
        return true;
    }

    /**
     * Picks the next backend for this session (skipping those it could not reach); without one,
     * answers {@code slot} with 421 (530 for a USER name no route matches) and returns false.
     *
     * @param routeUser the USER name under per-user routing, else null
     */
    boolean choose(ReplySlot slot, String routeUser) {
        Optional<BackendMember> next = ctx.backends().select(routeUser, tried);
        if (next.isPresent()) {
            member = next.get();
            return true;
        }
        if (routeUser != null && ctx.backends().routeFor(routeUser).isEmpty()) {
            log.info("{} no user route matches user={}", session.id(), routeUser);
            slot.closeOutcome = null;
            session.login().recordOutcome(FtpReply.of(530, "no route"));
            session.replies().reply(slot, 530, "Login incorrect.");
            return false;
        }
        log.warn("{} no backend available ({} tried, pool: {})", session.id(), tried.size(), ctx.backends().members());
        ctx.metrics().blocked(ProxyMetrics.Blocked.LIMIT);
        slot.closeOutcome = "backend_unavailable";
        session.replies().reply(slot, 421, "Service not available: no FTP server is available right now; try again later.");
        return false;
    }

    /**
     * Resolves and connects the chosen backend (on failure the next one of the pool), then runs
     * {@code onReady} with its greeting once the connection is ready for the client's commands.
     *
     * @param routeUser the USER name under per-user routing, else null
     */
    void open(ReplySlot slot, String routeUser, Consumer<FtpReply> onReady) {
        BackendChannel channel = new BackendChannel(session.id(), session.backendHooks(), ctx.metrics(), ctx.config().timeouts().backendReply());
        long connectStart = System.nanoTime();
        InetSocketAddress address = member.socketAddress();
        if (!address.isUnresolved()) {
            connect(channel, address, slot, routeUser, onReady, connectStart); // an address literal: nothing to look up
            return;
        }
        ctx.backendResolver().resolve(client.eventLoop(), address, ctx.config().timeouts().backendConnect())
                .addListener(resolved -> {
                    if (session.isClosed()) {
                        return;
                    }
                    if (!resolved.isSuccess()) {
                        ctx.metrics().backendConnect(System.nanoTime() - connectStart, false);
                        log.warn("{} backend {} cannot be resolved: {}", session.id(), address.getHostString(), resolved.cause().toString());
                        unreachable(slot, routeUser, onReady, "Service not available: the FTP server's name cannot be resolved.");
                        return;
                    }
                    connect(channel, (InetSocketAddress) resolved.getNow(), slot, routeUser, onReady, connectStart);
                });
    }

    /** This backend failed to connect: the next one of the pool, if any, else 421. */
    private void unreachable(ReplySlot slot, String routeUser, Consumer<FtpReply> onReady, String text) {
        if (!ctx.config().transparent().enabled()) {
            tried.add(member);
            member = null;
            Optional<BackendMember> next = ctx.backends().select(routeUser, tried);
            if (next.isPresent()) {
                member = next.get();
                log.info("{} trying backend {} instead", session.id(), member);
                open(slot, routeUser, onReady);
                return;
            }
        }
        slot.closeOutcome = "backend_unavailable";
        session.replies().reply(slot, 421, text);
    }

    private void connect(BackendChannel channel, InetSocketAddress target, ReplySlot greeting, String routeUser,
                         Consumer<FtpReply> onReady, long connectStart) {
        Channel ch = ctx.transport().socketChannels().newChannel();
        ch.config().setOption(ChannelOption.TCP_NODELAY, true);
        ch.config().setConnectTimeoutMillis((int) ctx.config().timeouts().backendConnect().toMillis());
        boolean spoof = ctx.config().transparent().spoofClient();
        if (spoof) {
            TransparentSockets.transparent(ch);
        }
        ch.pipeline().addLast(HandlerNames.REPLY_DECODER,
                new FtpReplyDecoder(ctx.config().limits().maxLineLength() * 2, ctx.config().limits().maxReplyLines()));
        ch.pipeline().addLast(HandlerNames.BACKEND_CONTROL, channel);
        ChannelFuture connecting = ChannelOpener.connect(client.eventLoop(), ch, target,
                spoof ? new InetSocketAddress(session.clientAddress(), 0) : null);
        connecting.addListener((ChannelFutureListener) f -> {
            if (session.isClosed()) {
                f.channel().close();
                return;
            }
            ctx.metrics().backendConnect(System.nanoTime() - connectStart, f.isSuccess());
            if (!f.isSuccess()) {
                log.warn("{} backend {} unreachable: {}", session.id(), member, f.cause().getMessage());
                unreachable(greeting, routeUser, onReady, "Service not available: the FTP server cannot be reached.");
                return;
            }
            backend = channel;
            member.sessionStarted();
            countedOnMember = true;
            log.info("{} backend {} via {}", session.id(), Addresses.format(backend.remoteAddress()),
                    Addresses.format(backend.localAddress()));
            sendProxyHeader();
            if (ctx.backendTls() != null && ctx.config().backendTls().mode() == BackendTlsConfig.Mode.IMPLICIT) {
                SslHandler tls = newTlsHandler(backend.channel());
                backend.channel().pipeline().addFirst(HandlerNames.TLS, tls);
                tls.handshakeFuture().addListener(h -> ctx.metrics().tlsHandshake(ProxyMetrics.TlsSide.BACKEND_CONTROL, h.isSuccess()));
            }
            backend.expect("greeting", r -> { // a backend that accepts but never greets times out
                if (r.isPreliminary()) {
                    session.replies().preliminary(greeting, r);
                } else if (r.code() == 220 && ctx.backendTls() != null) {
                    secure(greeting, r, onReady); // the client's commands wait until the backend is secured
                } else if (r.code() != 220 && (r.code() != 230 || ctx.backendTls() != null)) {
                    // 230: logged in already (RFC 959; curl's test server greets so); usable only in clear.
                    greeting.closeOutcome = "backend_unavailable";
                    session.replies().greeting(greeting, r);
                } else {
                    onReady.accept(r);
                }
            });
            client.config().setAutoRead(true);
        });
    }

    /** PROXY protocol towards the backend (proxy-protocol.send-to-backend), before anything else is sent. */
    private void sendProxyHeader() {
        ProxyProtocolConfig.SendVersion version = ctx.config().proxyProtocol().sendToBackend();
        if (version != ProxyProtocolConfig.SendVersion.OFF) {
            backend.channel().writeAndFlush(Unpooled.wrappedBuffer(
                    ProxyHeaders.encode(version, session.realClient(), (InetSocketAddress) client.localAddress())));
        }
    }

    /** TLS client handler for any of this session's backend connections: one session-cache key for all. */
    SslHandler newTlsHandler(Channel ch) {
        InetSocketAddress remote = backend.remoteAddress();
        int keyPort = backend.localAddress().getPort();
        return ctx.backendTls().newHandler(ch.alloc(), remote.getHostString(), keyPort);
    }

    /**
     * Explicit: AUTH TLS, the handshake, then PBSZ 0 and PROT P. Implicit: the handshake happened
     * before the greeting; PBSZ 0 and PROT P follow. Only then does the client get the greeting.
     */
    private void secure(ReplySlot greeting, FtpReply banner, Consumer<FtpReply> onReady) {
        Runnable protect = () -> backend.send("PBSZ 0", pbsz -> {
            if (pbsz.isPreliminary()) {
                return;
            }
            backend.send("PROT P", prot -> {
                if (prot.isPreliminary()) {
                    return;
                }
                if (pbsz.code() != 200 || prot.code() != 200) {
                    tlsFailed(greeting, "PBSZ/PROT refused: " + pbsz.lines().get(0) + " / " + prot.lines().get(0));
                    return;
                }
                onReady.accept(banner);
            });
        });
        if (ctx.config().backendTls().mode() == BackendTlsConfig.Mode.IMPLICIT) {
            protect.run();
            return;
        }
        ((FtpReplyDecoder) backend.channel().pipeline().get(HandlerNames.REPLY_DECODER)).authTlsSent();
        backend.send("AUTH TLS", r -> {
            if (r.isPreliminary()) {
                return;
            }
            if (r.code() != 234) {
                tlsFailed(greeting, "AUTH TLS refused: " + r.lines().get(0));
                return;
            }
            SslHandler tls = newTlsHandler(backend.channel());
            backend.channel().pipeline().addFirst(HandlerNames.TLS, tls);
            tls.handshakeFuture().addListener(f -> {
                ctx.metrics().tlsHandshake(ProxyMetrics.TlsSide.BACKEND_CONTROL, f.isSuccess());
                if (session.isClosed()) {
                    return;
                }
                if (!f.isSuccess()) {
                    tlsFailed(greeting, "handshake failed: " + HandshakeFailure.describe(f.cause()));
                    return;
                }
                ((FtpReplyDecoder) backend.channel().pipeline().get(HandlerNames.REPLY_DECODER)).clearTextEnded();
                log.debug("{} TLS to backend: {} {}", session.id(), tls.engine().getSession().getProtocol(),
                        tls.engine().getSession().getCipherSuite());
                protect.run();
            });
        });
    }

    private void tlsFailed(ReplySlot greeting, String why) {
        log.warn("{} TLS to the backend failed: {}", session.id(), why);
        greeting.closeOutcome = "backend_tls_failed";
        session.replies().reply(greeting, 421, "Service not available: a secure connection to the FTP server could not be made.");
    }

    /**
     * Per-user routing after a refused login: lets this backend go (its connection closes without
     * ending the session) and forgets the members tried, so that the next login is routed afresh.
     */
    void release() {
        if (backend != null) {
            backend.detach();
            backend.channel().close();
            backend = null;
        }
        if (countedOnMember) {
            member.sessionEnded();
            countedOnMember = false;
        }
        member = null;
        tried.clear();
    }

    /** The session ends: the backend connection closes and the member stops counting it. */
    void close() {
        if (backend != null) {
            backend.cancelAll();
            backend.channel().close();
        }
        if (countedOnMember) {
            member.sessionEnded();
        }
    }
}
