package dev.portcullis;

import static dev.portcullis.metrics.MeterNames.*;

import dev.portcullis.admin.AdminServer;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.audit.LogbackAuditLog;
import dev.portcullis.backend.BackendProbe;
import dev.portcullis.backend.BackendResolver;
import dev.portcullis.backend.DemoBackend;
import dev.portcullis.config.ConfigException;
import dev.portcullis.config.DataPolicy;
import dev.portcullis.config.ProxyConfig;
import dev.portcullis.config.TlsConfig;
import dev.portcullis.control.BackendCapabilities;
import dev.portcullis.control.ClientControlHandler;
import dev.portcullis.control.FtpCommandDecoder;
import dev.portcullis.control.HandlerNames;
import dev.portcullis.control.SessionContext;
import dev.portcullis.control.SessionRegistry;
import dev.portcullis.data.DataConnector;
import dev.portcullis.data.ExpectationTable;
import dev.portcullis.data.PassivePortPool;
import dev.portcullis.ftp.Verbs;
import dev.portcullis.metrics.MicrometerProxyMetrics;
import dev.portcullis.policy.BounceGuard;
import dev.portcullis.policy.CommandPolicy;
import dev.portcullis.policy.LoginBans;
import dev.portcullis.config.CommandRules;
import dev.portcullis.rewrite.FeatFilter;
import dev.portcullis.tls.BackendTls;
import dev.portcullis.tls.ServerTls;
import dev.portcullis.tls.TlsProvider;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running proxy: listeners, event loops and the state all sessions share; start, reload,
 * drain and stop. Listener addresses and the passive port range are fixed for the life of the
 * process; everything a session reads from its {@link SessionContext} (limits, policies,
 * certificates, the backend) is replaced by {@link #reload} for new sessions.
 */
public final class PortcullisServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("portcullis");
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private volatile ProxyConfig config;
    private final Transport transport;
    private final PassivePortPool pool;
    private final ExpectationTable expectations = new ExpectationTable(System::nanoTime);
    private final SessionRegistry registry = new SessionRegistry();
    private final BackendResolver resolver = new BackendResolver();
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final MicrometerProxyMetrics metrics = new MicrometerProxyMetrics(meters);
    private final BackendCapabilities capabilities = new BackendCapabilities();
    private final LoginBans bans;
    private final String instance = "p" + INSTANCES.incrementAndGet();
    private final List<Channel> listeners = new ArrayList<>();
    private volatile SessionContext context;
    private EventLoopGroup acceptors;
    private EventLoopGroup workers;
    private DemoBackend demo;
    private AdminServer admin;
    private BackendProbe probe;
    private boolean stopped;

    public PortcullisServer(ProxyConfig config) {
        this(config, Transport.select(true));
    }

    public PortcullisServer(ProxyConfig config, Transport transport) {
        this.config = config;
        this.transport = transport;
        this.pool = new PassivePortPool(config.passivePorts().low(), config.passivePorts().high());
        CommandRules r = config.commands();
        this.bans = new LoginBans(r.banAfterFailures(), r.banWindow(), r.banTime(), r.banFile(), System::currentTimeMillis);
    }

    public synchronized PortcullisServer start() throws IOException, ConfigException {
        log.info("transport: {} ({})", transport.name(), transport.reason());
        InetSocketAddress backend = null;
        if (config.backend().isEmpty()) {
            demo = DemoBackend.start();
            backend = new InetSocketAddress("127.0.0.1", demo.port());
            log.warn("DEMO MODE: no backend configured; relaying to an embedded read-only demo FTP server on {} serving {}",
                    backend, demo.root());
        }
        context = buildContext(config, backend);
        logLoosenedSecurity(config);
        registerMeters();

        acceptors = transport.newGroup(1);
        workers = transport.newGroup(Math.max(1, Runtime.getRuntime().availableProcessors()));
        try {
            for (InetSocketAddress address : config.listen()) {
                bindListener(address, false);
            }
            for (InetSocketAddress address : config.tls().implicitListen()) {
                bindListener(address, true);
            }
            if (config.admin().listen().isPresent()) {
                admin = new AdminServer(config.admin().listen().get(), meters::scrape, this::ready, this::readinessDetail, bans);
                log.info("admin listening on {} (/metrics, /healthz, /readyz)", admin.address());
            }
        } catch (RuntimeException | IOException e) {
            stop();
            throw new IOException("cannot listen: " + e.getMessage(), e);
        }
        probe = new BackendProbe(() -> context.backendAddress(), () -> config.timeouts().backendConnect(),
                config.admin().backendCheck(), this::probePreamble);
        // Certificate files replaced on disk (e.g. by an ACME client) are picked up for new handshakes.
        acceptors.scheduleWithFixedDelay(() -> {
            ServerTls tls = context.serverTls();
            if (tls != null) {
                tls.reloadIfChanged();
            }
        }, 5, 5, TimeUnit.SECONDS);
        return this;
    }

    /** Everything sessions share that a reload may change; TLS contexts are built (and checked) here. */
    private SessionContext buildContext(ProxyConfig c, InetSocketAddress demoBackend) throws ConfigException {
        ServerTls serverTls = null;
        if (c.tls().enabled()) {
            try {
                serverTls = new ServerTls(c.tls());
            } catch (javax.net.ssl.SSLException | RuntimeException e) {
                throw new ConfigException("tls.cert/tls.key: '" + c.tls().cert().orElseThrow() + "', '"
                        + c.tls().key().orElseThrow() + "' (cannot be loaded: " + e.getMessage() + ")");
            }
            log.info("TLS towards clients: {}; control {}, data {}{}", TlsProvider.describe(serverTls.provider()),
                    c.tls().policy().name().toLowerCase(), c.tls().dataProtection().name().toLowerCase().replace('_', '-'),
                    c.tls().requireSessionReuse() ? ", session reuse required on data connections" : "");
        }
        BackendTls backendTls = null;
        if (c.backendTls().enabled()) {
            try {
                backendTls = new BackendTls(c.backendTls(), c.tls().provider(), c.tls().handshakeTimeout());
            } catch (javax.net.ssl.SSLException | RuntimeException e) {
                throw new ConfigException("backend-tls: cannot build the TLS client context: " + e.getMessage());
            }
            log.info("TLS towards the backend: {}, {}", c.backendTls().mode().name().toLowerCase(),
                    TlsProvider.describe(backendTls.provider()));
        }
        InetSocketAddress backend = c.backend().map(b -> b.socketAddress())
                .orElse(demoBackend != null ? demoBackend : context == null ? null : context.backendAddress());
        List<String> provided = new ArrayList<>(List.of("EPRT", "EPSV"));
        if (serverTls != null) {
            provided.addAll(List.of("AUTH TLS", "PBSZ", "PROT"));
        }
        AuditLog audit = c.audit().xferlog().isPresent() || c.audit().events().isPresent()
                ? new LogbackAuditLog(c.audit(), instance) : AuditLog.NONE;
        return new SessionContext(c, transport, backend, resolver, capabilities,
                new DataConnector(transport, pool, expectations, c.timeouts(), metrics),
                new BounceGuard(c.data().allowForeignAddress(), c.data().allowPrivilegedPorts()),
                new CommandPolicy(c.commands().denyCommands(), c.commands().denyAnonymous()),
                new FeatFilter(hiddenFeatures(), provided), new FeatFilter(hiddenFeatures(), List.of("EPRT", "EPSV")),
                registry, metrics, audit, serverTls, backendTls, bans);
    }

    /**
     * Applies a new configuration to new sessions; live sessions keep the one they started with.
     * Listener addresses, the passive range and the admin listener need a restart and are kept.
     *
     * @throws ConfigException if the new configuration cannot be applied; the old one stays in force
     */
    public synchronized void reload(ProxyConfig next) throws ConfigException {
        List<String> kept = new ArrayList<>();
        if (!next.listen().equals(config.listen()) || !next.tls().implicitListen().equals(config.tls().implicitListen())) {
            kept.add("listen");
        }
        if (!next.passivePorts().equals(config.passivePorts())) {
            kept.add("passive-ports");
        }
        if (!next.admin().listen().equals(config.admin().listen())) {
            kept.add("admin.listen");
        }
        ProxyConfig effective = new ProxyConfig(config.listen(), next.backend(), config.passivePorts(), next.publicAddress(),
                next.timeouts(), next.limits(), next.data(), new TlsConfig(next.tls().cert(), next.tls().key(),
                next.tls().clientCa(), next.tls().policy(), next.tls().dataProtection(), next.tls().requireSessionReuse(),
                config.tls().implicitListen(), next.tls().ciphers(), next.tls().provider(), next.tls().handshakeTimeout(),
                next.tls().perListener()), next.backendTls(), next.audit(), config.admin(), next.commands(), config.proxyProtocol());
        if (!config.tls().implicitListen().isEmpty() && !effective.tls().enabled()) {
            throw new ConfigException("tls: implicit FTPS listeners are running; a reload cannot turn TLS off (restart instead)");
        }
        SessionContext nextContext = buildContext(effective, demo == null ? null : new InetSocketAddress("127.0.0.1", demo.port()));
        bans.configure(effective.commands().banAfterFailures(), effective.commands().banWindow(), effective.commands().banTime());
        context = nextContext;
        config = effective;
        logLoosenedSecurity(effective);
        log.info("configuration reloaded for new sessions{}", kept.isEmpty() ? ""
                : "; unchanged until restart: " + String.join(", ", kept));
    }

    private void bindListener(InetSocketAddress address, boolean implicitTls) {
        ServerBootstrap b = new ServerBootstrap()
                .group(acceptors, workers)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.SO_BACKLOG, 1024)
                // Without TCP_NODELAY a 150 and a 226 written separately wait on a delayed ACK (~40 ms).
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        SessionContext ctx = context; // each new session takes the configuration of the moment
                        ProxyConfig c = ctx.config();
                        TlsConfig.ListenerPolicy policy = implicitTls
                                ? new TlsConfig.ListenerPolicy(address, TlsConfig.Policy.REQUIRED, c.tls().dataProtection())
                                : c.tls().policyFor(address);
                        if (c.proxyProtocol().accept()) {
                            // The balancer's header comes first, before TLS or FTP.
                            ch.pipeline().addLast(HandlerNames.PROXY_HEADER_DECODER, new io.netty.handler.codec.haproxy.HAProxyMessageDecoder());
                            ch.pipeline().addLast(HandlerNames.PROXY_HEADER, new dev.portcullis.control.ProxyHeaderHandler(
                                    c.timeouts().backendConnect().toMillis()));
                        }
                        if (implicitTls) {
                            ch.pipeline().addLast(HandlerNames.TLS, ctx.serverTls().newHandler(ctx.serverTls().context(), ch.alloc()));
                        }
                        ch.pipeline().addLast(HandlerNames.IDLE,
                                new IdleStateHandler(0, 0, c.timeouts().idle().toMillis(), TimeUnit.MILLISECONDS));
                        ch.pipeline().addLast(HandlerNames.COMMAND_DECODER, new FtpCommandDecoder(c.limits().maxLineLength()));
                        ch.pipeline().addLast(HandlerNames.CLIENT_CONTROL, new ClientControlHandler(ctx, implicitTls, policy));
                    }
                });
        Channel ch = b.bind(address).syncUninterruptibly().channel();
        listeners.add(ch);
        TlsConfig.ListenerPolicy policy = config.tls().policyFor(address);
        log.info("listening on {}{} -> backend {}{}, passive ports {}{}", ch.localAddress(),
                implicitTls ? " (implicit FTPS)" : context.serverTls() != null ? " (FTPS " + policy.policy().name().toLowerCase()
                        + ", data " + policy.dataProtection().name().toLowerCase().replace('_', '-') + ")" : "",
                context.backendAddress(), context.backendTls() != null ? " (" + config.backendTls().mode().name().toLowerCase() + " TLS)" : "",
                config.passivePorts(), config.publicAddress().map(a -> ", public address " + a.getHostAddress()).orElse(""));
    }

    private void registerMeters() {
        Gauge.builder(SESSIONS_ACTIVE, registry, SessionRegistry::size).description("open control sessions").register(meters);
        Gauge.builder(DATA_PORTS_IN_USE, pool, p -> p.capacity() - p.available()).description("passive ports held").register(meters);
        Gauge.builder(DATA_PORTS_CAPACITY, pool, PassivePortPool::capacity).description("passive ports configured").register(meters);
        Gauge.builder(DATA_EXPECTATIONS, expectations, ExpectationTable::size).description("live data expectations").register(meters);
        Gauge.builder(BANS_ACTIVE, bans, b -> b.active().size()).description("client addresses banned after failed logins").register(meters);
        Gauge.builder(BACKEND_UP, this, s -> s.probe != null && s.probe.up() ? 1 : 0).description("backend answered its last check").register(meters);
        if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider provider) {
            Gauge.builder(ALLOCATOR_DIRECT, provider, p -> p.metric().usedDirectMemory()).baseUnit("bytes").register(meters);
            Gauge.builder(ALLOCATOR_HEAP, provider, p -> p.metric().usedHeapMemory()).baseUnit("bytes").register(meters);
        }
        new JvmMemoryMetrics().bindTo(meters);
        new JvmGcMetrics().bindTo(meters);
        new JvmThreadMetrics().bindTo(meters);
        new ClassLoaderMetrics().bindTo(meters);
        new ProcessorMetrics().bindTo(meters);
        new UptimeMetrics().bindTo(meters);
        new FileDescriptorMetrics().bindTo(meters);
    }

    /** A backend that requires PROXY headers gets one on checks too: "no client" (v1 UNKNOWN, v2 LOCAL). */
    private byte[] probePreamble() {
        return switch (config.proxyProtocol().sendToBackend()) {
            case OFF -> new byte[0];
            case V1 -> "PROXY UNKNOWN\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            case V2 -> new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x20, 0x00, 0x00, 0x00};
        };
    }

    private Set<String> hiddenFeatures() {
        Set<String> hidden = new HashSet<>(Verbs.SECURITY);
        hidden.addAll(Verbs.LONG_ADDRESS);
        return hidden;
    }

    private static void logLoosenedSecurity(ProxyConfig c) {
        if (c.data().allowForeignAddress()) {
            log.warn("SECURITY LOOSENED: data.allow-foreign-address is on: PORT/EPRT may name other hosts (FXP, FTP bounce)");
        }
        if (c.data().allowPrivilegedPorts()) {
            log.warn("SECURITY LOOSENED: data.allow-privileged-ports is on: PORT/EPRT may name ports below 1024");
        }
        if (c.backendTls().insecure()) {
            log.warn("SECURITY LOOSENED: backend-tls.insecure is on: the backend's certificate is not verified");
        }
        if (c.tls().enabled() && c.tls().policy() == TlsConfig.Policy.OPTIONAL) {
            log.warn("SECURITY LOOSENED: tls.policy is 'optional': clients may log in without TLS");
        }
        if (c.tls().enabled() && c.tls().dataProtection() == TlsConfig.DataProtection.ANY) {
            log.warn("SECURITY LOOSENED: tls.data-protection is 'any': data connections may be unencrypted (PROT C)");
        }
        if (c.data().backendPasvAddress() == DataPolicy.BackendPasvAddress.ANNOUNCED) {
            log.warn("SECURITY LOOSENED: data.backend-pasv-address is 'announced': the backend's 227 chooses where the proxy connects");
        }
    }

    private boolean ready() {
        return !stopped && !listeners.isEmpty() && listeners.stream().allMatch(Channel::isActive) && probe != null && probe.up();
    }

    private String readinessDetail() {
        return "listeners: " + listeners.size() + (stopped ? " (stopping)" : "") + "\nbackend check: "
                + (probe == null ? "none" : probe.lastResult()) + "\n";
    }

    /** The addresses actually bound (port 0 in the config becomes the real port). */
    public List<InetSocketAddress> boundAddresses() {
        List<InetSocketAddress> out = new ArrayList<>();
        for (Channel ch : listeners) {
            out.add((InetSocketAddress) ch.localAddress());
        }
        return out;
    }

    /** The admin listener's address, or null when it is off. */
    public InetSocketAddress adminAddress() {
        return admin == null ? null : admin.address();
    }

    /** The TLS context towards clients, or null when FTPS is off; {@link ServerTls#reload()} reloads it. */
    public ServerTls serverTls() {
        return context.serverTls();
    }

    public ProxyConfig config() {
        return config;
    }

    public PassivePortPool passivePortPool() {
        return pool;
    }

    public ExpectationTable expectations() {
        return expectations;
    }

    public SessionRegistry sessions() {
        return registry;
    }

    public LoginBans bans() {
        return bans;
    }

    public MicrometerProxyMetrics metrics() {
        return metrics;
    }

    /**
     * Graceful shutdown: stop accepting, let running transfers finish (up to {@code timeout}),
     * answer every session with 421 as it becomes idle, then stop. Idempotent.
     */
    public void drain(Duration timeout) {
        synchronized (this) {
            if (stopped) {
                return;
            }
            for (Channel ch : listeners) {
                ch.close().syncUninterruptibly();
            }
        }
        int live = registry.size();
        log.info("draining: no new connections; {} session(s) finish their transfers (up to {} s)", live, timeout.toSeconds());
        registry.sessions().forEach(s -> s.shutdown());
        long deadline = System.nanoTime() + timeout.toNanos();
        while (registry.size() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (registry.size() > 0) {
            log.warn("drain timeout: closing {} session(s) with transfers still running", registry.size());
            registry.sessions().forEach(s -> s.forceShutdown());
        }
        stop();
    }

    public synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        for (Channel ch : listeners) {
            ch.close().syncUninterruptibly();
        }
        if (admin != null) {
            admin.close();
        }
        if (probe != null) {
            probe.close();
        }
        if (workers != null) {
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (acceptors != null) {
            acceptors.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        resolver.close();
        bans.close();
        if (demo != null) {
            try {
                demo.close();
            } catch (IOException e) {
                log.warn("demo backend cleanup: {}", e.getMessage());
            }
        }
        meters.close();
        log.info("stopped");
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return "PortcullisServer" + Objects.toString(boundAddresses());
    }
}
