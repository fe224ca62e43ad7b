package dev.portcullis.control;

import dev.portcullis.config.Limits;
import dev.portcullis.config.ProxyProtocolConfig;
import dev.portcullis.config.TransparentConfig;
import dev.portcullis.net.Addresses;
import dev.portcullis.data.relay.DataRelay.Side;
import dev.portcullis.data.setup.DataSetup;
import dev.portcullis.data.setup.PassiveListener;
import dev.portcullis.data.relay.TokenBucket;
import dev.portcullis.ftp.FtpCommand;
import dev.portcullis.metrics.ProxyMetrics;
import dev.portcullis.policy.Verdict;
import dev.portcullis.rewrite.DataAddressRewriter;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of data setups: PASV/EPSV/PORT/EPRT, the data setup they prepare for the next
 * transfer (one at a time, one-shot), this session's share of the passive ports, the expiry of an
 * unclaimed passive port, and the client's data connection (accepted, or made in active mode).
 */
final class DataChannelBroker {

    private static final Inet4Address UNSPECIFIED_IPV4 = unspecifiedIpv4();

    private static Inet4Address unspecifiedIpv4() {
        try {
            return (Inet4Address) InetAddress.getByAddress(new byte[4]);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("four bytes are always an IPv4 address", e);
        }
    }

    private static final Logger log = LoggerFactory.getLogger("portcullis.session");

    private final ControlSession session;
    private final SessionContext ctx;
    private final Channel client;
    private final BackendDataSide backendSide;
    private final KernelForwarding kernel;
    private DataSetup setup;
    private boolean epsvAll;
    private int dataPortsHeld;
    /** This session's own rate limit (limits.bandwidth-per-session); null when there is none. */
    private TokenBucket bandwidth;

    DataChannelBroker(ControlSession session) {
        this.session = session;
        this.ctx = session.ctx();
        this.client = session.client();
        this.backendSide = new BackendDataSide(session);
        this.kernel = new KernelForwarding(session);
    }

    BackendDataSide backendSide() {
        return backendSide;
    }

    /** The setup the next transfer takes, once ready; it is this broker's no longer. */
    DataSetup takeSetup() {
        DataSetup s = setup;
        setup = null;
        return s;
    }

    /** The ready setup of the next transfer, or null. */
    DataSetup readySetup() {
        return setup != null && setup.isReady() ? setup : null;
    }

    void discardSetup() {
        if (setup != null) {
            setup.close();
            setup = null;
        }
    }

    void onExtendedPassive(ReplySlot slot, FtpCommand c) {
        String arg = c.argument().strip();
        if (arg.equalsIgnoreCase("ALL")) {
            // RFC 2428: after EPSV ALL only EPSV may set up data connections. The proxy keeps the
            // promise itself; the backend side is the proxy's own business.
            epsvAll = true;
            session.replies().reply(slot, 200, "EPSV ALL command successful.");
            return;
        }
        if (!arg.isEmpty() && !arg.equals("1") && !arg.equals("2")) {
            session.replies().reply(slot, 522, "Network protocol not supported, use (1,2).");
            return;
        }
        onPassive(slot, c, true);
    }

    void onPassive(ReplySlot slot, FtpCommand c, boolean extended) {
        if (epsvAll && !extended) {
            session.replies().reply(slot, 503, "EPSV ALL is in effect: only EPSV is accepted.");
            return;
        }
        InetAddress local = ((InetSocketAddress) client.localAddress()).getAddress();
        Inet4Address ipv4 = ctx.config().publicAddress().map(Addresses::ipv4).orElse(Addresses.ipv4(local));
        // PASV on an IPv6 connection with no IPv4 address to announce: 0,0,0,0 as vsftpd sends;
        // clients then connect to the control connection's address (curl, lftp, ftplib all do).
        Inet4Address announce = ipv4 != null ? ipv4 : UNSPECIFIED_IPV4;
        DataSetup s = replaceSetup(DataSetup.passive());
        InetAddress expectedPeer = ctx.config().proxyProtocol().accept()
                && ctx.config().proxyProtocol().dataPeerCheck() == ProxyProtocolConfig.DataPeerCheck.OFF ? null : session.clientAddress();
        Runnable release = takeDataPort(slot);
        if (release == null) {
            return;
        }
        // TPROXY: the client reached the server's address, which is not this host's; the passive
        // listener takes the wildcard address and TPROXY delivers the data connection to it.
        InetAddress bindAddress = ctx.config().transparent().mode() == TransparentConfig.Mode.TPROXY
                ? Addresses.wildcardFor(local) : local;
        Future<PassiveListener> bound = ctx.dataConnector().listenPooled(
                client.eventLoop(), bindAddress, session.id(), expectedPeer, ch -> onClientDataAccepted(s, ch), release);
        bound.addListener(f -> {
            if (!f.isSuccess()) {
                release.run();
                if (s == setup) {
                    setup = null;
                }
                log.warn("{} {}: {}", session.id(), c.verb(), f.cause().getMessage());
                session.replies().reply(slot, 425, "Can't open data connection: no passive port is free, try again later.");
                return;
            }
            PassiveListener listener = bound.getNow();
            s.clientListener(listener);
            if (s.isClosed() || session.isClosed()) {
                return; // replaced or session gone while binding; the listener is released already
            }
            scheduleExpiry(s, listener);
            backendSide.prepare(slot, s, () -> kernel.forwardIfEligible(s, listener, () -> {
                s.markReady();
                ctx.metrics().rewrite(extended ? "epsv" : "pasv");
                session.replies().passiveReply(slot, DataAddressRewriter.passiveReply(extended, announce, listener.port()));
            }));
        });
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
        } else if (!ctx.portBudget().tryTake(session.clientKey(), limits.maxDataPortsPerIp())) {
            refusal = "your address already holds " + limits.maxDataPortsPerIp() + " data ports, the most allowed";
        }
        if (refusal != null) {
            ctx.metrics().blocked(ProxyMetrics.Blocked.LIMIT);
            log.info("{} passive port refused: {}", session.id(), refusal);
            session.replies().reply(slot, 425, "Can't open data connection: " + refusal + "; finish or abort a transfer first.");
            return null;
        }
        dataPortsHeld++;
        boolean[] given = {false};
        return () -> {
            if (!given[0]) {
                given[0] = true;
                dataPortsHeld--;
                ctx.portBudget().give(session.clientKey());
            }
        };
    }

    private void scheduleExpiry(DataSetup s, PassiveListener listener) {
        long ttl = ctx.config().timeouts().expectation().toNanos();
        ScheduledFuture<?> expiry = client.eventLoop().schedule(() -> {
            if (s.inKernel() && session.transfers().isRunning(s)) {
                return; // the kernel carries this transfer; its final reply ends the setup
            }
            if (listener.expireIfUnclaimed()) {
                log.info("{} data expectation on port {} expired unused", session.id(), listener.port());
                if (setup == s) {
                    discardSetup(); // the next transfer command gets 425 instead of waiting for nothing
                } else {
                    // A transfer was waiting on it: it fails (425), and the backend, still waiting
                    // for its own data connection, is made to give up now rather than at its timeout.
                    s.markClientNeverCame();
                    s.relay().abort();
                    backendSide.dismiss(s);
                }
            }
        }, ttl, TimeUnit.NANOSECONDS);
        s.onClose(() -> expiry.cancel(false));
    }

    void onActive(ReplySlot slot, FtpCommand c, Optional<InetSocketAddress> target) {
        if (epsvAll) {
            session.replies().reply(slot, 503, "EPSV ALL is in effect: only EPSV is accepted.");
            return;
        }
        if (target.isEmpty()) {
            session.replies().reply(slot, 501, "Syntax error in " + c.verb() + " arguments.");
            return;
        }
        Verdict v = ctx.bounceGuard().check(session.clientAddress(), target.get(), c.verb());
        if (!v.allowed()) {
            ctx.metrics().blocked(ProxyMetrics.Blocked.BOUNCE);
            log.warn("{} blocked {} to {} ({})", session.id(), c.verb(), Addresses.format(target.get()), v.reason());
            session.audit("blocked", Map.of("reason", v.reason(), "detail", c.verb() + " " + Addresses.format(target.get())));
            session.replies().reply(slot, v.replyCode(), v.replyText());
            return;
        }
        DataSetup s = replaceSetup(DataSetup.active(target.get()));
        backendSide.prepare(slot, s, () -> {
            s.markReady();
            ctx.metrics().rewrite(c.verb().toLowerCase(Locale.ROOT));
            session.replies().reply(slot, 200, c.verb() + " command successful.");
        });
    }

    private void onClientDataAccepted(DataSetup s, Channel ch) {
        session.security().secureData(ch, () -> {
            PassiveListener listener = s.clientListener();
            if (listener != null) {
                listener.confirm(); // the client's own: the port stops listening
            }
            s.relay().attach(Side.CLIENT, ch);
            backendSide.connectIfDue(s);
        }, () -> {
            // Refused after it had claimed the expectation (it did not resume the control TLS
            // session): like a thief from another address, it must not cost the client its
            // transfer. The expectation is armed again and the port still listens; only if that
            // cannot be (expired, closed) does the transfer fail (426), never reported complete.
            s.markTlsRefused();
            PassiveListener listener = s.clientListener();
            if (listener == null || !listener.rearm()) {
                s.relay().abort();
            }
        });
    }

    /** Joins a client data connection to the relay, in TLS (server role, RFC 4217) under PROT P. */
    private void attachClientData(DataSetup s, Channel ch) {
        // Active mode: the proxy called the client's own address, so there is no expectation to
        // keep; a data connection that does not resume the control session fails its transfer (426).
        session.security().secureData(ch, () -> s.relay().attach(Side.CLIENT, ch), () -> {
            s.markTlsRefused();
            s.relay().abort();
        });
    }

    /** Active mode: the backend started the transfer, now the proxy calls the client. */
    void connectClient(DataSetup s) {
        if (!s.startClientConnect()) {
            return;
        }
        InetAddress local = ((InetSocketAddress) client.localAddress()).getAddress();
        InetSocketAddress from = new InetSocketAddress(local, ctx.config().data().activeSourcePort());
        s.relay().connecting(Side.CLIENT);
        ctx.dataConnector().connect(client.eventLoop(), s.activeClientTarget(), from).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                log.debug("{} data connection to client {} open", session.id(), Addresses.format(s.activeClientTarget()));
                attachClientData(s, f.channel());
            } else {
                log.warn("{} data connection to client {} failed: {}", session.id(),
                        Addresses.format(s.activeClientTarget()), f.cause().toString());
                s.relay().abort();
            }
        });
    }

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
    private List<TokenBucket> rateLimits() {
        long perSession = ctx.config().limits().bandwidthPerSession();
        if (perSession > 0 && bandwidth == null) {
            bandwidth = new TokenBucket(perSession, System::nanoTime);
        }
        List<TokenBucket> limits = new ArrayList<>(2);
        if (bandwidth != null) {
            limits.add(bandwidth);
        }
        if (ctx.bandwidthTotal().rate() > 0) {
            limits.add(ctx.bandwidthTotal());
        }
        return limits;
    }
}
