package dev.portcullis;

import static dev.portcullis.metrics.MeterNames.*;

import dev.portcullis.admin.AdminServer;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.audit.LogbackAuditLog;
import dev.portcullis.backend.BackendMember;
import dev.portcullis.backend.BackendPool;
import dev.portcullis.backend.HealthChecker;
import dev.portcullis.net.HostAndPort;
import dev.portcullis.backend.BackendResolver;
import dev.portcullis.backend.DemoBackend;
import dev.portcullis.config.ConfigException;
import dev.portcullis.config.DataPolicy;
import dev.portcullis.config.ProxyConfig;
import dev.portcullis.config.TlsConfig;
import dev.portcullis.control.ClientControlHandler;
import dev.portcullis.control.FtpCommandDecoder;
import dev.portcullis.control.HandlerNames;
import dev.portcullis.control.SessionContext;
import dev.portcullis.control.SessionRegistry;
import dev.portcullis.data.setup.DataConnector;
import dev.portcullis.guard.ExpectationTable;
import dev.portcullis.data.setup.PassivePortPool;
import dev.portcullis.ftp.Verbs;
import dev.portcullis.metrics.MicrometerProxyMetrics;
import dev.portcullis.guard.BounceGuard;
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
import java.util.Optional;
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
    private final BackendPool backends = new BackendPool();
    private dev.portcullis.data.splice.SpliceService splice;
    private dev.portcullis.data.kernel.KernelNat kernelNat;
    private final dev.portcullis.data.setup.PortBudget portBudget = new dev.portcullis.data.setup.PortBudget();
    private final dev.portcullis.data.relay.TokenBucket bandwidthTotal = new dev.portcullis.data.relay.TokenBucket(0, System::nanoTime);
    private final LoginBans bans;
    private final String instance = "p" + INSTANCES.incrementAndGet();
    private final List<Channel> listeners = new ArrayList<>();
    private volatile SessionContext context;
    private EventLoopGroup acceptors;
    private EventLoopGroup workers;
    private DemoBackend demo;
    private AdminServer admin;
    private HealthChecker health;
    private dev.portcullis.tls.BackendTls probeTls;
    private dev.portcullis.config.BackendTlsConfig probeTlsConfig;
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
        StartChecks.requireTransport(config, transport);
        if (config.transparent().enabled()) {
            log.info("transparent mode: {}, original destinations allowed in {}{}", config.transparent().mode().name().toLowerCase(java.util.Locale.ROOT),
                    config.transparent().allowDestinations(), config.transparent().spoofClient() ? ", connecting from the client's own address" : "");
        }
        if (config.backends().isDemo() && !config.transparent().enabled()) {
            demo = DemoBackend.start();
            log.warn("DEMO MODE: no backend configured; relaying to an embedded read-only demo FTP server on 127.0.0.1:{} serving {}",
                    demo.port(), demo.root());
        }
        if (transport.name().equals("epoll")) {
            // Started even when data.zero-copy is off, so that a reload can turn it on.
            splice = dev.portcullis.data.splice.SpliceService.start(Math.max(1, Runtime.getRuntime().availableProcessors()));
        }
        if (splice != null) {
            splice.pipes(config.data().splicePipeSize(), config.data().splicePipeBudget());
        }
        log.info("data relay: {}", splice != null && config.data().zeroCopy()
                ? "zero-copy (splice) for plain data connections, copy for TLS; " + splice.describePipes()
                : "copy" + (config.data().zeroCopy() ? " (zero-copy needs the epoll transport)" : " (data.zero-copy is off)"));
        if (config.data().kernelNat().enabled()) {
            StartChecks.requireForwarding(config);
            // Before any port is bound: a proxy that cannot make its table must not start half-working.
            kernelNat = dev.portcullis.data.kernel.KernelNat.start(config.data().kernelNat(),
                    config.timeouts().expectation().plusSeconds(10));
            log.info("data path: {}", kernelNat.describe());
        }
        context = buildContext(config);
        bandwidthTotal.rate(config.limits().bandwidthTotal());
        logLoosenedSecurity(config);
        registerMeters();
        syncBackendMeters(backends.configure(config.backends(), demoBackend()));
        logPool(config);

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
                admin = new AdminServer(config.admin().listen().get(), meters::scrape, this::ready, this::readinessDetail, bans,
                        registry, backends, () -> config.admin().token());
                log.info("admin listening on {} (/metrics, /healthz, /readyz, /sessions, /backends)", admin.address());
            }
        } catch (RuntimeException | IOException e) {
            stop();
            throw new IOException("cannot listen: " + e.getMessage(), e);
        }
        health = new HealthChecker(workers, transport, resolver, backends, () -> config.backends().healthCheck(), this::probeTls,
                () -> config.limits(), this::probePreamble);
        // Certificate files replaced on disk (e.g. by an ACME client) are picked up for new handshakes.
        acceptors.scheduleWithFixedDelay(() -> {
            ServerTls tls = context.serverTls();
            if (tls != null) {
                tls.reloadIfChanged();
            }
        }, 5, 5, TimeUnit.SECONDS);
        return this;
    }

    /** What {@link #start} refuses before it binds anything, checked without binding anything: for --check-config. */
    public static void check(ProxyConfig c) throws ConfigException {
        StartChecks.check(c);
    }

    private Optional<HostAndPort> demoBackend() {
        return demo == null ? Optional.empty() : Optional.of(new HostAndPort("127.0.0.1", demo.port()));
    }

    private static void logPool(ProxyConfig c) {
        if (c.backends().allBackends().size() > 1 || c.backends().balance() != dev.portcullis.config.BackendPoolConfig.Balance.ROUND_ROBIN) {
            log.info("backend pool: {} ({}), health checks {}", c.backends().allBackends(),
                    c.backends().balance().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'),
                    c.backends().healthCheck().enabled() ? "every " + c.backends().healthCheck().interval().toMillis() + " ms, rise "
                            + c.backends().healthCheck().rise() + ", fall " + c.backends().healthCheck().fall() : "off");
        }
    }

    /** Gauges per backend: added for new members, removed for dropped ones. */
    private void syncBackendMeters(List<BackendMember> dropped) {
        for (BackendMember m : dropped) {
            meters.find(BACKEND_UP).tag(TAG_BACKEND, m.address().toString()).meters().forEach(meters::remove);
            meters.find(BACKEND_SESSIONS).tag(TAG_BACKEND, m.address().toString()).meters().forEach(meters::remove);
        }
        for (BackendMember m : backends.members()) {
            Gauge.builder(BACKEND_UP, m, b -> b.up() ? 1 : 0).tag(TAG_BACKEND, m.address().toString())
                    .description("backend is up by its health checks (1) or taken out (0)").register(meters);
            Gauge.builder(BACKEND_SESSIONS, m, BackendMember::sessions).tag(TAG_BACKEND, m.address().toString())
                    .description("sessions relayed to this backend now").register(meters);
        }
    }

    /** Everything sessions share that a reload may change; TLS contexts are built (and checked) here. */
    private SessionContext buildContext(ProxyConfig c) throws ConfigException {
        ServerTls serverTls = null;
        if (c.tls().enabled()) {
            serverTls = StartChecks.serverTls(c);
            log.info("TLS towards clients: {}; control {}, data {}{}", TlsProvider.describe(serverTls.provider()),
                    c.tls().policy().name().toLowerCase(), c.tls().dataProtection().name().toLowerCase().replace('_', '-'),
                    c.tls().requireSessionReuse() ? ", session reuse required on data connections" : "");
        }
        BackendTls backendTls = null;
        if (c.backendTls().enabled()) {
            backendTls = StartChecks.backendTls(c);
            log.info("TLS towards the backend: {}, {}", c.backendTls().mode().name().toLowerCase(),
                    TlsProvider.describe(backendTls.provider()));
        }
        List<String> provided = new ArrayList<>(List.of("EPRT", "EPSV"));
        if (serverTls != null) {
            provided.addAll(List.of("AUTH TLS", "PBSZ", "PROT"));
        }
        AuditLog audit = c.audit().xferlog().isPresent() || c.audit().events().isPresent()
                ? new LogbackAuditLog(c.audit(), instance) : AuditLog.NONE;
        return new SessionContext(c, transport, backends, resolver,
                new DataConnector(transport, pool, expectations, c.timeouts(), metrics,
                        c.proxyProtocol().dataPeerCheck() == dev.portcullis.config.ProxyProtocolConfig.DataPeerCheck.PROXY_HEADER,
                        c.transparent().mode() == dev.portcullis.config.TransparentConfig.Mode.TPROXY, c.transparent().spoofClient()),
                new BounceGuard(c.data().allowForeignAddress(), c.data().allowPrivilegedPorts()),
                new CommandPolicy(c.commands().denyCommands(), c.commands().denyAnonymous(), c.commands().allowCommands()),
                new FeatFilter(hiddenFeatures(), provided), new FeatFilter(hiddenFeatures(), List.of("EPRT", "EPSV")),
                registry, metrics, audit, serverTls, backendTls, bans, portBudget, bandwidthTotal, splice, kernelNat);
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
        if (!next.data().kernelNat().equals(config.data().kernelNat())) {
            // The nftables table and its writer exist only from a start: the running setting is kept, and
            // kept before the effective config is built, so that the config in force says what is applied.
            kept.add("data.kernel-nat");
            next = next.withData(next.data().withKernelNat(config.data().kernelNat()));
        }
        // What needs a restart stays as it runs: listeners (control, implicit FTPS, admin), the passive
        // range, the PROXY protocol on the listeners, transparent mode; the admin token applies at once.
        ProxyConfig effective = next.toBuilder()
                .listen(config.listen())
                .passivePorts(config.passivePorts())
                .tls(next.tls().withImplicitListen(config.tls().implicitListen()))
                .admin(new dev.portcullis.config.AdminConfig(config.admin().listen(), config.admin().drainTimeout(), next.admin().token()))
                .proxyProtocol(config.proxyProtocol())
                .transparent(config.transparent())
                .build();
        if (!config.tls().implicitListen().isEmpty() && !effective.tls().enabled()) {
            throw new ConfigException("tls: implicit FTPS listeners are running; a reload cannot turn TLS off (restart instead)");
        }
        if (!next.transparent().equals(config.transparent())) {
            kept.add("transparent");
        }
        SessionContext nextContext = buildContext(effective);
        bans.configure(effective.commands().banAfterFailures(), effective.commands().banWindow(), effective.commands().banTime());
        context = nextContext;
        config = effective;
        bandwidthTotal.rate(effective.limits().bandwidthTotal());
        if (splice != null) {
            splice.pipes(effective.data().splicePipeSize(), effective.data().splicePipeBudget());
        }
        syncBackendMeters(backends.configure(effective.backends(), demoBackend()));
        logPool(effective);
        logLoosenedSecurity(effective);
        log.info("configuration reloaded for new sessions{}", kept.isEmpty() ? ""
                : "; unchanged until restart: " + String.join(", ", kept));
    }

    private void bindListener(InetSocketAddress address, boolean implicitTls) {
        ServerBootstrap b = new ServerBootstrap();
        if (config.transparent().mode() == dev.portcullis.config.TransparentConfig.Mode.TPROXY) {
            // TPROXY hands this listener connections addressed to other hosts (the FTP servers).
            dev.portcullis.transparent.TransparentSockets.transparent(b);
        }
        b.group(acceptors, workers)
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
                        ch.pipeline().addLast(HandlerNames.COMMAND_DECODER, new FtpCommandDecoder(c.limits().maxLineLength(), c.commands().strictProtocol()));
                        ch.pipeline().addLast(HandlerNames.CLIENT_CONTROL, new ClientControlHandler(ctx, implicitTls, policy));
                    }
                });
        Channel ch = b.bind(address).syncUninterruptibly().channel();
        listeners.add(ch);
        TlsConfig.ListenerPolicy policy = config.tls().policyFor(address);
        log.info("listening on {}{} -> {}{}, passive ports {}{}", ch.localAddress(),
                implicitTls ? " (implicit FTPS)" : context.serverTls() != null ? " (FTPS " + policy.policy().name().toLowerCase()
                        + ", data " + policy.dataProtection().name().toLowerCase().replace('_', '-') + ")" : "",
                config.transparent().enabled() ? "original destinations in " + config.transparent().allowDestinations()
                        : "backend " + backends.members(), context.backendTls() != null ? " (" + config.backendTls().mode().name().toLowerCase() + " TLS)" : "",
                config.passivePorts(), config.publicAddress().map(a -> ", public address " + a.getHostAddress()).orElse(""));
    }

    private void registerMeters() {
        Gauge.builder(SESSIONS_ACTIVE, registry, SessionRegistry::size).description("open control sessions").register(meters);
        Gauge.builder(DATA_PORTS_IN_USE, pool, p -> p.capacity() - p.available()).description("passive ports held").register(meters);
        Gauge.builder(DATA_PORTS_CAPACITY, pool, PassivePortPool::capacity).description("passive ports configured").register(meters);
        Gauge.builder(DATA_EXPECTATIONS, expectations, ExpectationTable::size).description("live data expectations").register(meters);
        io.micrometer.core.instrument.FunctionCounter.builder(ZERO_COPY_RELAYS, this, s -> s.splice == null ? 0 : s.splice.relays())
                .description("data relays moved by splice(2) instead of being copied").register(meters);
        Gauge.builder(SPLICE_PIPE_BYTES, this, s -> s.splice == null ? 0 : s.splice.grownPipeBytes()).baseUnit("bytes")
                .description("bytes of splice pipes grown beyond the kernel's default, open now").register(meters);
        Gauge.builder(KERNEL_NAT_MAPPINGS, this, s -> s.kernelNat == null ? 0 : s.kernelNat.activeMappings())
                .description("passive data connections netfilter forwards through the proxy's mappings now").register(meters);
        io.micrometer.core.instrument.FunctionCounter.builder(KERNEL_NAT_REQUESTS, this, s -> s.kernelNat == null ? 0 : s.kernelNat.mappedTotal())
                .tag("result", "mapped").description("kernel NAT mappings asked of nft, by result (failed: that transfer was relayed)").register(meters);
        io.micrometer.core.instrument.FunctionCounter.builder(KERNEL_NAT_REQUESTS, this, s -> s.kernelNat == null ? 0 : s.kernelNat.failedTotal())
                .tag("result", "failed").description("kernel NAT mappings asked of nft, by result (failed: that transfer was relayed)").register(meters);
        io.micrometer.core.instrument.FunctionCounter.builder(SPLICE_PIPES_GROWN, this, s -> s.splice == null ? 0 : s.splice.pipesGrown())
                .description("splice pipes grown beyond the kernel's default (transfers that carried bulk)").register(meters);
        Gauge.builder(BANS_ACTIVE, bans, b -> b.active().size()).description("client addresses banned after failed logins").register(meters);
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

    /**
     * The TLS client context of health checks with AUTH TLS: the sessions' (same trust, same
     * certificate checks); with backend-tls off, one built from its trust settings all the same.
     */
    private synchronized dev.portcullis.tls.BackendTls probeTls() {
        if (context.backendTls() != null) {
            return context.backendTls();
        }
        if (probeTls == null || !probeTlsConfig.equals(config.backendTls())) {
            try {
                probeTls = new dev.portcullis.tls.BackendTls(config.backendTls(), config.tls().provider(), config.tls().handshakeTimeout());
                probeTlsConfig = config.backendTls();
            } catch (javax.net.ssl.SSLException e) {
                log.warn("health checks with AUTH TLS cannot build a TLS client context: {}", e.getMessage());
                return null;
            }
        }
        return probeTls;
    }

    /** A backend that requires PROXY headers gets one on checks too: "no client" (v1 UNKNOWN, v2 LOCAL). */
    private byte[] probePreamble() {
        return dev.portcullis.control.ProxyHeaders.noClient(config.proxyProtocol().sendToBackend());
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
        return !stopped && !listeners.isEmpty() && listeners.stream().allMatch(Channel::isActive)
                && (config.transparent().enabled() || backends.anyUp());
    }

    private String readinessDetail() {
        StringBuilder b = new StringBuilder("listeners: " + listeners.size() + (stopped ? " (stopping)" : "") + "\n");
        for (BackendMember m : backends.members()) {
            b.append("backend ").append(m).append(": ").append(m.up() ? "up" : "DOWN").append(", ").append(m.sessions())
                    .append(" session(s); last check: ").append(m.lastResult()).append('\n');
        }
        return b.toString();
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

    public BackendPool backendPool() {
        return backends;
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
        if (health != null) {
            health.close();
        }
        if (workers != null) {
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (splice != null) {
            splice.close();
        }
        if (kernelNat != null) {
            kernelNat.close();
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
