package dev.portcullis.warmup;

import dev.portcullis.Portcullis;
import dev.portcullis.PortcullisServer;
import dev.portcullis.config.AdminConfig;
import dev.portcullis.config.CliOverrides;
import dev.portcullis.config.ConfigException;
import dev.portcullis.config.ConfigLoader;
import dev.portcullis.config.ProxyConfig;
import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code portcullis train}: the training run of a JDK 25 AOT cache that needs no live traffic, so
 * that a container image (or a host, before it restarts the proxy onto a new jar) can ship a cache
 * and its very first start begins from trained profiles. Starts a proxy in front of the embedded
 * demo backend on loopback, drives sessions through it until the JIT is quiet, stops it and exits;
 * the JVM, started with {@code -XX:AOTCacheOutput=FILE}, writes the cache as it exits. Binds only
 * 127.0.0.1: an ephemeral control port and the given passive range.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Drive FTP sessions through a proxy in front of the embedded demo backend, on 127.0.0.1, until",
            "the JIT compiler is quiet, then exit: the training run of a JDK 25+ AOT cache. Run it as",
            "  java -XX:AOTCacheOutput=portcullis.aot -jar portcullis.jar train",
            "and start the proxy with -XX:AOTCache=portcullis.aot (the same java, jar path and GC flags)."})
public final class TrainingRun implements Callable<Integer> {

    @Option(names = "--min-seconds", paramLabel = "N", description = "Train at least this long. Default: ${DEFAULT-VALUE}.")
    int minSeconds = 60;

    @Option(names = "--max-seconds", paramLabel = "N", description = "Stop here even if the JIT is still busy. Default: ${DEFAULT-VALUE}.")
    int maxSeconds = 300;

    @Option(names = "--quiet-share", paramLabel = "FRACTION",
            description = "Quiet: the JIT took at most this share of the JVM's CPU over the last 10 s. Default: ${DEFAULT-VALUE}.")
    double quietShare = 0.03;

    @Option(names = "--workers", paramLabel = "N", description = "Sessions running at once. Default: ${DEFAULT-VALUE}.")
    int workers = 8;

    @Option(names = "--passive-ports", paramLabel = "LO-HI",
            description = "The training proxy's passive range on 127.0.0.1. Default: ${DEFAULT-VALUE}.")
    String passivePorts = "50000-50999";

    static final int WINDOW_SECONDS = 10;
    /** A training whose sessions all fail trains error paths: it stops here with exit 1. */
    static final int FIRST_SESSION_DEADLINE_SECONDS = 15;

    @Override
    public Integer call() throws Exception {
        if (minSeconds < WINDOW_SECONDS || maxSeconds < minSeconds || workers < 1 || workers > 256 || !(quietShare > 0 && quietShare < 1)) {
            System.err.println("portcullis train: expected --min-seconds >= " + WINDOW_SECONDS + ", --max-seconds >= --min-seconds, "
                    + "--workers from 1 to 256 and --quiet-share between 0 and 1; got " + minSeconds + ", " + maxSeconds + ", "
                    + workers + ", " + quietShare);
            return 2;
        }
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            System.err.println("portcullis train: this JVM does not report its compile time; nothing to train");
            return 2;
        }
        ProxyConfig config;
        try {
            config = ConfigLoader.load(Optional.empty(), new CliOverrides(List.of(), null, passivePorts, null))
                    .withListen(List.of(new InetSocketAddress("127.0.0.1", 0)))
                    .withAdmin(new AdminConfig(Optional.empty(), Duration.ofSeconds(5)));
        } catch (ConfigException e) {
            System.err.println("portcullis train: " + e.getMessage());
            return 2;
        }
        PortcullisServer server = new PortcullisServer(config);
        try {
            try {
                server.start();
            } catch (ConfigException | IOException e) {
                System.err.println("portcullis train: cannot start the training proxy: " + e.getMessage());
                return 1;
            }
            InetSocketAddress proxy = server.boundAddresses().get(0);
            try (TrainingSessions load = new TrainingSessions(proxy, workers).start()) {
                return train(load, jit, proxy);
            }
        } finally {
            server.stop();
            Portcullis.flushLogs();
        }
    }

    private int train(TrainingSessions load, CompilationMXBean jit, InetSocketAddress proxy) throws InterruptedException {
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        JitQuiet quiet = new JitQuiet(quietShare);
        ArrayDeque<long[]> samples = new ArrayDeque<>(); // {compile ms, process CPU ns}, one a second
        long start = System.nanoTime();
        double share = 1;
        boolean wasQuiet = false;
        for (int second = 1; second <= maxSeconds; second++) {
            Thread.sleep(Math.max(0, start + second * 1_000_000_000L - System.nanoTime()) / 1_000_000);
            samples.addLast(new long[] {jit.getTotalCompilationTime(), os.getProcessCpuTime()});
            if (samples.size() > WINDOW_SECONDS + 1) {
                samples.removeFirst();
            }
            if (second == FIRST_SESSION_DEADLINE_SECONDS && load.sessions() == 0) {
                System.err.println("portcullis train: no session completed through " + proxy + " in "
                        + FIRST_SESSION_DEADLINE_SECONDS + " s; last failure: " + load.lastFailure());
                return 1;
            }
            if (samples.size() == WINDOW_SECONDS + 1) {
                long compileMillis = samples.getLast()[0] - samples.getFirst()[0];
                long cpuNanos = samples.getLast()[1] - samples.getFirst()[1];
                share = JitQuiet.share(compileMillis, cpuNanos);
                if (second >= minSeconds && quiet.quiet(compileMillis, cpuNanos)) {
                    wasQuiet = true;
                    break;
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("portcullis train: %d sessions (%d failed) through %s in %.0f s; the JIT took %.1f %% of the JVM's CPU"
                        + " in the last %d s (%s)%n", load.sessions(), load.failures(), proxy, seconds, share * 100, WINDOW_SECONDS,
                wasQuiet ? "quiet" : "still busy at --max-seconds");
        if (load.failures() > 0) {
            System.out.println("portcullis train: last failed session: " + load.lastFailure());
        }
        return load.sessions() > 0 ? 0 : 1;
    }
}
