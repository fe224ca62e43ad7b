package dev.portcullis;

import dev.portcullis.config.CliOverrides;
import dev.portcullis.config.ConfigException;
import dev.portcullis.config.ConfigLoader;
import dev.portcullis.config.ProxyConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The command line: flags and config file into a validated config, then the server. */
@Command(name = "portcullis", mixinStandardHelpOptions = true, version = "Portcullis 0.1.0",
        description = {
            "FTP application-layer gateway: relays FTP control connections to a backend server, rewrites",
            "PASV/EPSV/PORT/EPRT for NAT, opens data connections on demand and refuses FTP bounce and",
            "passive-port theft. With no backend, starts an embedded read-only demo FTP server."},
        sortOptions = false, subcommands = {dev.portcullis.admin.AdminCtl.class, dev.portcullis.warmup.TrainingRun.class})
public final class Portcullis implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "YAML config file (flags below override its keys).")
    Path config;

    @Option(names = "--check-config", paramLabel = "FILE",
            description = "Validate FILE (with the flags below), print the configuration it amounts to, exit 0 if valid, 2 if not; binds nothing.")
    Path checkConfig;

    @Option(names = "--listen", paramLabel = "HOST:PORT",
            description = "Control listener, repeatable; IPv6 as [ADDR]:PORT. Default: " + ConfigLoader.DEFAULT_LISTEN + ".")
    List<String> listen;

    @Option(names = "--backend", paramLabel = "HOST:PORT",
            description = "An FTP server to relay to; repeat for a pool (health-checked). Default: an embedded demo server.")
    List<String> backends;

    @Option(names = "--balance", paramLabel = "round-robin|least-connections|per-user",
            description = "How a pool's backend is chosen for a new session. Default: round-robin.")
    String balance;

    @Option(names = "--passive-ports", paramLabel = "LO-HI",
            description = "The proxy's passive data port range. Default: " + ConfigLoader.DEFAULT_PASSIVE_PORTS + ".")
    String passivePorts;

    @Option(names = "--public-address", paramLabel = "ADDR",
            description = "IPv4 address announced in 227 replies (the NAT's public address). Default: the address the client connected to.")
    String publicAddress;

    @Option(names = "--tls-cert", paramLabel = "PEM", description = "Certificate chain for FTPS towards clients (with --tls-key).")
    String tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "Private key (PKCS#8 PEM, RSA or EC) of --tls-cert.")
    String tlsKey;

    @Option(names = "--implicit-tls-listen", paramLabel = "HOST:PORT",
            description = "Implicit FTPS listener (TLS from the first byte, conventionally port 990), repeatable.")
    List<String> implicitTlsListen;

    @Option(names = "--tls-policy", paramLabel = "required|optional|off",
            description = "TLS on the control connection. Default: required with a certificate, off without.")
    String tlsPolicy;

    @Option(names = "--data-protection", paramLabel = "private-required|any",
            description = "Whether data connections must be encrypted (PROT P). Default: private-required with a certificate.")
    String dataProtection;

    @Option(names = "--backend-tls", paramLabel = "off|explicit|implicit", description = "TLS towards the backend. Default: off.")
    String backendTls;

    @Option(names = "--backend-ca", paramLabel = "PEM", description = "CA bundle the backend's certificate must chain to.")
    String backendCa;

    @Option(names = "--admin-listen", paramLabel = "HOST:PORT|off",
            description = "Admin HTTP listener for /metrics, /healthz, /readyz. Default: " + dev.portcullis.config.AdminConfig.DEFAULT_LISTEN + ".")
    String adminListen;

    @Option(names = "--proxy-protocol",
            description = "The control listeners require a PROXY protocol v1/v2 header (behind an L4 balancer) and use its source address as the client's.")
    boolean proxyProtocol;

    @Option(names = "--max-sessions-per-ip", paramLabel = "N", description = "Control sessions at once from one client address. Default: 64.")
    String maxSessionsPerIp;

    @Option(names = "--ban-after", paramLabel = "N", description = "Failed logins (within 10 minutes) that ban an address; 0 turns bans off. Default: 10.")
    String banAfter;

    @Option(names = "--ban-time", paramLabel = "DURATION", description = "How long a ban lasts, e.g. 60s, 1h. Default: 15m.")
    String banTime;

    /**
     * SIGHUP re-reads the config file (and certificates): new sessions get the new configuration,
     * live ones keep theirs; an invalid file is refused with the reason logged, and the old
     * configuration stays in force.
     */
    private void installReloadSignal(PortcullisServer server, CliOverrides cli, dev.portcullis.os.SystemdNotify notify) {
        org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger("portcullis");
        try {
            sun.misc.SignalHandler previous = sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> {
                log.info("SIGHUP: reloading {}", config == null ? "(no config file; certificates only)" : config);
                notify.reloading();
                try {
                    server.reload(ConfigLoader.load(Optional.ofNullable(config), cli));
                    notify.ready("configuration reloaded");
                } catch (ConfigException e) {
                    log.error("reload refused, the previous configuration stays in force: {}", e.getMessage());
                    notify.ready("reload refused: " + e.getMessage());
                }
            });
            if (previous == sun.misc.SignalHandler.SIG_IGN) {
                // The JVM keeps a shutdown signal ignored when it started ignored (nohup): the handler
                // above was not installed, and a SIGHUP would be dropped without a word.
                log.warn("SIGHUP is ignored in this process (started under nohup?): reload by SIGHUP is unavailable; restart to apply a new configuration");
            }
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            org.slf4j.LoggerFactory.getLogger("portcullis").warn("SIGHUP reload unavailable here: {}", e.getMessage());
        }
    }

    private static final String LEAK_DETECTION = "io.netty.leakDetection.level";

    public static void main(String[] args) {
        // Netty's leak detector tracks one buffer in 128 with a stack trace: about 1 % of a session's
        // CPU in benchmarks/session-profile.sh. The tests run with it on (Netty's default); a
        // deployment turns it back on with -Dio.netty.leakDetection.level=simple.
        if (System.getProperty(LEAK_DETECTION) == null) {
            System.setProperty(LEAK_DETECTION, "disabled");
        }
        System.exit(new CommandLine(new Portcullis()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        ProxyConfig cfg;
        CliOverrides cli = new CliOverrides(listen, backends, balance, passivePorts, publicAddress, tlsCert, tlsKey, implicitTlsListen,
                tlsPolicy, dataProtection, backendTls, backendCa, adminListen, proxyProtocol, maxSessionsPerIp, banAfter, banTime);
        if (checkConfig != null) {
            return checkConfig(cli);
        }
        try {
            cfg = ConfigLoader.load(Optional.ofNullable(config), cli);
        } catch (ConfigException e) {
            System.err.println("portcullis: config error: " + e.getMessage());
            return 2;
        }
        PortcullisServer server = new PortcullisServer(cfg);
        try {
            server.start();
        } catch (ConfigException e) {
            System.err.println("portcullis: config error: " + e.getMessage());
            server.stop();
            return 2;
        } catch (java.io.IOException e) {
            System.err.println("portcullis: " + e.getMessage());
            return 1;
        }
        // Every listener is bound: a Type=notify unit is started now, not when the JVM came up.
        dev.portcullis.os.SystemdNotify notify = dev.portcullis.os.SystemdNotify.fromEnvironment(System.getenv());
        notify.ready("listening on " + server.boundAddresses());
        installReloadSignal(server, cli, notify);
        CountDownLatch stopped = new CountDownLatch(1);
        // SIGTERM and SIGINT: stop accepting, let transfers finish, then 421 to what remains, exit 0
        // (systemd and Kubernetes read 0 as a clean stop; the JVM's own handling would exit 143).
        Runnable drain = () -> {
            notify.stopping("draining: transfers finish, then 421");
            server.drain(server.config().admin().drainTimeout());
            stopped.countDown();
        };
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> new Thread(drain, "portcullis-drain").start());
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                Runtime.getRuntime().addShutdownHook(new Thread(drain, "portcullis-shutdown"));
            }
        }
        stopped.await();
        notify.close();
        flushLogs();
        return 0;
    }

    /** Like haproxy -c and nginx -t: the whole validation of a start, nothing bound, the result printed. */
    private int checkConfig(CliOverrides cli) {
        try {
            ProxyConfig c = ConfigLoader.load(Optional.of(checkConfig), cli);
            PortcullisServer.check(c);
            System.out.println("# " + checkConfig + ": configuration is valid; in force it amounts to:");
            System.out.print(dev.portcullis.config.EffectiveConfig.render(c));
            System.out.flush();
            return 0;
        } catch (ConfigException e) {
            System.err.println("portcullis: config error: " + e.getMessage());
            return 2;
        }
    }

    /** Writes out the lines still queued for the log (it is asynchronous), waiting at most its flush time. */
    public static void flushLogs() {
        if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context) {
            context.stop();
        }
    }
}
