package dev.portcullis;

import dev.portcullis.admin.AdminServer;
import dev.portcullis.guard.OwnPorts;
import dev.portcullis.backend.BackendMember;
import dev.portcullis.backend.BackendPool;
import dev.portcullis.backend.HealthChecker;
import dev.portcullis.net.HostAndPort;
import dev.portcullis.backend.BackendResolver;
import dev.portcullis.backend.DemoBackend;
import dev.portcullis.config.ConfigException;
import dev.portcullis.config.ProxyConfig;
import dev.portcullis.control.SessionContext;
import dev.portcullis.control.SessionRegistry;
import dev.portcullis.guard.ExpectationTable;
import dev.portcullis.data.setup.PassivePortPool;
import dev.portcullis.metrics.MicrometerProxyMetrics;
import dev.portcullis.policy.LoginBans;
import dev.portcullis.config.CommandRules;
import dev.portcullis.tls.ServerTls;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
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
    private final ServerMeters serverMeters = new ServerMeters(meters, () -> this.splice, () -> this.kernelNat);
    private dev.portcullis.data.splice.SpliceService splice;
    private dev.portcullis.data.kernel.KernelNat kernelNat;
    private final dev.portcullis.data.setup.PortBudget portBudget = new dev.portcullis.data.setup.PortBudget();
    private final dev.portcullis.data.relay.TokenBucket bandwidthTotal = new dev.portcullis.data.relay.TokenBucket(0, System::nanoTime);
    private final LoginBans bans;
    private final OwnPorts ownPorts;
    private final String instance = "p" + INSTANCES.incrementAndGet();
    private ControlListeners listeners;
    private volatile SessionContext context;
    private EventLoopGroup acceptors;
    private EventLoopGroup workers;
    private DemoBackend demo;
    private AdminServer admin;
    private HealthChecker health;
    private SessionContextFactory contexts;
    private boolean stopped;

    public PortcullisServer(ProxyConfig config) {
        this(config, Transport.select(true));
    }

    public PortcullisServer(ProxyConfig config, Transport transport) {
        this.config = config;
        this.transport = transport;
        this.pool = new PassivePortPool(config.passivePorts().low(), config.passivePorts().high());
        this.ownPorts = new OwnPorts(config.passivePorts().low(), config.passivePorts().high());
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
        contexts = new SessionContextFactory(transport, backends, resolver, pool, expectations, metrics, registry, bans, portBudget,
                bandwidthTotal, splice, kernelNat, instance, ownPorts);
        context = contexts.build(config);
        bandwidthTotal.rate(config.limits().bandwidthTotal());
        StartLog.loosenedSecurity(config);
        serverMeters.register(registry, pool, expectations, bans);
        serverMeters.syncBackends(backends, backends.configure(config.backends(), demoBackend()));
        StartLog.pool(config);

        acceptors = transport.newGroup(1);
        int workerThreads = Math.max(1, Runtime.getRuntime().availableProcessors());
        workers = transport.newGroup(workerThreads);
        listeners = new ControlListeners(transport, acceptors, workers, workerThreads, () -> context,
                config.transparent().mode() == dev.portcullis.config.TransparentConfig.Mode.TPROXY);
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
                ownPorts.listening(admin.address().getPort());
                log.info("admin listening on {} (/metrics, /healthz, /readyz, /sessions, /backends)", admin.address());
            }
        } catch (RuntimeException | IOException e) {
            stop();
            throw new IOException("cannot listen: " + e.getMessage(), e);
        }
        health = new HealthChecker(workers, transport, resolver, backends, () -> config.backends().healthCheck(), new dev.portcullis.backend.HealthProbeTls(() -> config, () -> context.backendTls()),
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

    /**
     * Applies a new configuration to new sessions; live sessions keep the one they started with.
     * Listener addresses, the passive range and the admin listener need a restart and are kept.
     *
     * @throws ConfigException if the new configuration cannot be applied; the old one stays in force
     */
    public synchronized void reload(ProxyConfig next) throws ConfigException {
        ReloadPlan plan = ReloadPlan.of(config, next);
        ProxyConfig effective = plan.effective();
        List<String> kept = plan.kept();
        SessionContext nextContext = contexts.build(effective);
        bans.configure(effective.commands().banAfterFailures(), effective.commands().banWindow(), effective.commands().banTime());
        context = nextContext;
        config = effective;
        bandwidthTotal.rate(effective.limits().bandwidthTotal());
        if (splice != null) {
            splice.pipes(effective.data().splicePipeSize(), effective.data().splicePipeBudget());
        }
        serverMeters.syncBackends(backends, backends.configure(effective.backends(), demoBackend()));
        StartLog.pool(effective);
        StartLog.loosenedSecurity(effective);
        log.info("configuration reloaded for new sessions{}", kept.isEmpty() ? ""
                : "; unchanged until restart: " + String.join(", ", kept));
    }

    private void bindListener(InetSocketAddress address, boolean implicitTls) {
        Channel ch = listeners.bind(address, implicitTls);
        ownPorts.listening(((InetSocketAddress) ch.localAddress()).getPort());
        StartLog.listening(address, ch.localAddress(), implicitTls, context, backends.members());
    }

    /** A backend that requires PROXY headers gets one on checks too: "no client" (v1 UNKNOWN, v2 LOCAL). */
    private byte[] probePreamble() {
        return dev.portcullis.control.ProxyHeaders.noClient(config.proxyProtocol().sendToBackend());
    }

    private boolean ready() {
        return !stopped && listeners != null && listeners.allActive()
                && (config.transparent().enabled() || backends.anyUp());
    }

    private String readinessDetail() {
        StringBuilder b = new StringBuilder("listeners: " + (listeners == null ? 0 : listeners.count()) + (stopped ? " (stopping)" : "") + "\n");
        for (BackendMember m : backends.members()) {
            b.append("backend ").append(m).append(": ").append(m.up() ? "up" : "DOWN").append(", ").append(m.sessions())
                    .append(" session(s); last check: ").append(m.lastResult()).append('\n');
        }
        return b.toString();
    }

    /** The addresses actually bound (port 0 in the config becomes the real port). */
    public List<InetSocketAddress> boundAddresses() {
        return listeners == null ? List.of() : listeners.bound();
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
            if (listeners != null) {
                listeners.close();
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
        if (listeners != null) {
            listeners.close();
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
