package dev.portcullis;

import dev.portcullis.backend.BackendResolver;
import dev.portcullis.backend.DemoBackend;
import dev.portcullis.config.ConfigException;
import dev.portcullis.config.ProxyConfig;
import dev.portcullis.config.TlsConfig;
import dev.portcullis.tls.BackendTls;
import dev.portcullis.tls.ServerTls;
import dev.portcullis.tls.TlsProvider;
import dev.portcullis.control.BackendCapabilities;
import dev.portcullis.control.ClientControlHandler;
import dev.portcullis.control.FtpCommandDecoder;
import dev.portcullis.control.HandlerNames;
import dev.portcullis.control.SessionContext;
import dev.portcullis.control.SessionRegistry;
import dev.portcullis.data.DataConnector;
import dev.portcullis.data.ExpectationTable;
import dev.portcullis.data.PassivePortPool;
import dev.portcullis.data.ProxyStats;
import dev.portcullis.ftp.Verbs;
import dev.portcullis.policy.BounceGuard;
import dev.portcullis.rewrite.FeatFilter;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The running proxy: listeners, event loops and the state all sessions share. start/stop. */
public final class PortcullisServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("portcullis");

    private final ProxyConfig config;
    private final Transport transport;
    private final PassivePortPool pool;
    private final ExpectationTable expectations = new ExpectationTable(System::nanoTime);
    private final ProxyStats stats = new ProxyStats();
    private final SessionRegistry registry = new SessionRegistry();
    private final BackendResolver resolver = new BackendResolver();
    private final List<Channel> listeners = new ArrayList<>();
    private EventLoopGroup acceptors;
    private EventLoopGroup workers;
    private DemoBackend demo;
    private ServerTls serverTls;
    private BackendTls backendTls;
    private boolean stopped;

    public PortcullisServer(ProxyConfig config) {
        this(config, Transport.select(true));
    }

    public PortcullisServer(ProxyConfig config, Transport transport) {
        this.config = config;
        this.transport = transport;
        this.pool = new PassivePortPool(config.passivePorts().low(), config.passivePorts().high());
    }

    public synchronized PortcullisServer start() throws IOException, ConfigException {
        log.info("transport: {} ({})", transport.name(), transport.reason());
        buildTls();
        InetSocketAddress backend;
        if (config.backend().isPresent()) {
            backend = config.backend().get().socketAddress();
        } else {
            demo = DemoBackend.start();
            backend = new InetSocketAddress("127.0.0.1", demo.port());
            log.warn("DEMO MODE: no backend configured; relaying to an embedded read-only demo FTP server on {} serving {}",
                    backend, demo.root());
        }
        logLoosenedSecurity();
        SessionContext context = new SessionContext(config, transport, backend, resolver, new BackendCapabilities(),
                new DataConnector(transport, pool, expectations, config.timeouts(), stats),
                new BounceGuard(config.data().allowForeignAddress(), config.data().allowPrivilegedPorts()),
                new FeatFilter(hiddenFeatures(), providedFeatures()), new FeatFilter(hiddenFeatures(), List.of("EPRT", "EPSV")),
                registry, stats, serverTls, backendTls);

        acceptors = transport.newGroup(1);
        workers = transport.newGroup(Math.max(1, Runtime.getRuntime().availableProcessors()));
        try {
            for (InetSocketAddress address : config.listen()) {
                bindListener(context, address, false);
            }
            for (InetSocketAddress address : config.tls().implicitListen()) {
                bindListener(context, address, true);
            }
        } catch (RuntimeException e) {
            stop();
            throw new IOException("cannot listen: " + e.getMessage(), e);
        }
        if (serverTls != null) {
            // Certificate files replaced on disk (e.g. by an ACME client) are picked up for new handshakes.
            acceptors.scheduleWithFixedDelay(serverTls::reloadIfChanged, 5, 5, TimeUnit.SECONDS);
        }
        return this;
    }

    private void bindListener(SessionContext context, InetSocketAddress address, boolean implicitTls) {
        TlsConfig.ListenerPolicy policy = implicitTls
                ? new TlsConfig.ListenerPolicy(address, TlsConfig.Policy.REQUIRED, config.tls().dataProtection())
                : config.tls().policyFor(address);
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
                        if (implicitTls) {
                            ch.pipeline().addLast(HandlerNames.TLS, serverTls.newHandler(serverTls.context(), ch.alloc()));
                        }
                        ch.pipeline().addLast(HandlerNames.IDLE,
                                new IdleStateHandler(0, 0, config.timeouts().idle().toMillis(), TimeUnit.MILLISECONDS));
                        ch.pipeline().addLast(HandlerNames.COMMAND_DECODER, new FtpCommandDecoder(config.limits().maxLineLength()));
                        ch.pipeline().addLast(HandlerNames.CLIENT_CONTROL, new ClientControlHandler(context, implicitTls, policy));
                    }
                });
        Channel ch = b.bind(address).syncUninterruptibly().channel();
        listeners.add(ch);
        log.info("listening on {}{} -> backend {}{}, passive ports {}{}", ch.localAddress(),
                implicitTls ? " (implicit FTPS)" : serverTls != null ? " (FTPS " + policy.policy().name().toLowerCase()
                        + ", data " + policy.dataProtection().name().toLowerCase().replace('_', '-') + ")" : "",
                context.backendAddress(), backendTls != null ? " (" + config.backendTls().mode().name().toLowerCase() + " TLS)" : "",
                config.passivePorts(), config.publicAddress().map(a -> ", public address " + a.getHostAddress()).orElse(""));
    }

    private void buildTls() throws ConfigException {
        if (config.tls().enabled()) {
            try {
                serverTls = new ServerTls(config.tls());
            } catch (javax.net.ssl.SSLException | RuntimeException e) {
                throw new ConfigException("tls.cert/tls.key: '" + config.tls().cert().orElseThrow() + "', '"
                        + config.tls().key().orElseThrow() + "' (cannot be loaded: " + e.getMessage() + ")");
            }
            log.info("TLS towards clients: {}; control {}, data {}{}", TlsProvider.describe(serverTls.provider()),
                    config.tls().policy().name().toLowerCase(), config.tls().dataProtection().name().toLowerCase().replace('_', '-'),
                    config.tls().requireSessionReuse() ? ", session reuse required on data connections" : "");
        }
        if (config.backendTls().enabled()) {
            try {
                backendTls = new BackendTls(config.backendTls(), config.tls().provider(), config.tls().handshakeTimeout());
            } catch (javax.net.ssl.SSLException | RuntimeException e) {
                throw new ConfigException("backend-tls: cannot build the TLS client context: " + e.getMessage());
            }
            log.info("TLS towards the backend: {}, {}", config.backendTls().mode().name().toLowerCase(),
                    TlsProvider.describe(backendTls.provider()));
        }
    }

    private List<String> providedFeatures() {
        List<String> provided = new ArrayList<>(List.of("EPRT", "EPSV"));
        if (serverTls != null) {
            provided.addAll(List.of("AUTH TLS", "PBSZ", "PROT"));
        }
        return provided;
    }

    private Set<String> hiddenFeatures() {
        Set<String> hidden = new HashSet<>(Verbs.SECURITY);
        hidden.addAll(Verbs.LONG_ADDRESS);
        return hidden;
    }

    private void logLoosenedSecurity() {
        if (config.data().allowForeignAddress()) {
            log.warn("SECURITY LOOSENED: data.allow-foreign-address is on: PORT/EPRT may name other hosts (FXP, FTP bounce)");
        }
        if (config.data().allowPrivilegedPorts()) {
            log.warn("SECURITY LOOSENED: data.allow-privileged-ports is on: PORT/EPRT may name ports below 1024");
        }
        if (config.backendTls().insecure()) {
            log.warn("SECURITY LOOSENED: backend-tls.insecure is on: the backend's certificate is not verified");
        }
        if (config.tls().enabled() && config.tls().policy() == dev.portcullis.config.TlsConfig.Policy.OPTIONAL) {
            log.warn("SECURITY LOOSENED: tls.policy is 'optional': clients may log in without TLS");
        }
        if (config.tls().enabled() && config.tls().dataProtection() == dev.portcullis.config.TlsConfig.DataProtection.ANY) {
            log.warn("SECURITY LOOSENED: tls.data-protection is 'any': data connections may be unencrypted (PROT C)");
        }
        if (config.data().backendPasvAddress() == dev.portcullis.config.DataPolicy.BackendPasvAddress.ANNOUNCED) {
            log.warn("SECURITY LOOSENED: data.backend-pasv-address is 'announced': the backend's 227 chooses where the proxy connects");
        }
    }

    /** The addresses actually bound (port 0 in the config becomes the real port). */
    public List<InetSocketAddress> boundAddresses() {
        List<InetSocketAddress> out = new ArrayList<>();
        for (Channel ch : listeners) {
            out.add((InetSocketAddress) ch.localAddress());
        }
        return out;
    }

    /** The TLS context towards clients, or null when FTPS is off; {@link ServerTls#reload()} reloads it. */
    public ServerTls serverTls() {
        return serverTls;
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

    public ProxyStats stats() {
        return stats;
    }

    public synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        for (Channel ch : listeners) {
            ch.close().syncUninterruptibly();
        }
        if (workers != null) {
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (acceptors != null) {
            acceptors.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        resolver.close();
        if (demo != null) {
            try {
                demo.close();
            } catch (IOException e) {
                log.warn("demo backend cleanup: {}", e.getMessage());
            }
        }
        log.info("stopped");
    }

    @Override
    public void close() {
        stop();
    }
}
