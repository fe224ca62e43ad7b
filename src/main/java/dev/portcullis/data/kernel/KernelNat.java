package dev.portcullis.data.kernel;

import dev.portcullis.config.ConfigException;
import dev.portcullis.config.KernelNatConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's NAT mappings and the table they live in. The table is made with {@code nft -f -} at
 * start and deleted at stop; the mappings go, on Java 22 and later, as nf_tables netlink messages on
 * a socket of the proxy's own ({@link NetlinkMappings}: tens of microseconds each, on the caller's
 * thread), else through a long-lived nft process ({@link NftProcessMappings}). Either way
 * {@link #map} completes only once the kernel forwards the mapping, so a 227/229 never announces a
 * port before that.
 */
public final class KernelNat implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KernelNat.class);

    private final KernelNatConfig config;
    private final MappingWriter writer;
    private final AtomicLong active = new AtomicLong();
    private final AtomicLong mapped = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    private KernelNat(KernelNatConfig config, MappingWriter writer) {
        this.config = config;
        this.writer = writer;
    }

    /**
     * Creates the table (replacing one a killed proxy left), then opens the netlink socket or, where
     * that is not possible (Java 17), starts the nft process.
     *
     * @param ttl how long an element may outlive its removal being missed (it is always removed explicitly)
     * @throws ConfigException naming the key when nft cannot create the table (no CAP_NET_ADMIN, no nf_nat, ...)
     */
    public static KernelNat start(KernelNatConfig config, Duration ttl) throws ConfigException {
        runOnce(config, NftScript.createTable(config.table()), "create the table");
        java.util.Optional<NetlinkMappings> netlink = NetlinkMappings.open(config.table(), ttl);
        if (netlink.isPresent()) {
            return new KernelNat(config, netlink.get());
        }
        try {
            return new KernelNat(config, new NftProcessMappings(config.table(), config.nft(), ttl));
        } catch (IOException e) {
            runQuietly(config, NftScript.deleteTable(config.table()));
            throw new ConfigException("data.kernel-nat-nft: '" + config.nft() + "' (cannot be started: " + e.getMessage() + ")");
        }
    }

    /** Adds {@code m}; completes once the kernel forwards it. */
    public CompletableFuture<Void> map(NatMapping m) {
        String gone = writer.gone();
        CompletableFuture<Void> done = gone == null ? writer.add(m) : CompletableFuture.failedFuture(new IOException(gone));
        return done.whenComplete((v, e) -> {
            if (e == null) {
                mapped.incrementAndGet();
                active.incrementAndGet();
            } else {
                failed.incrementAndGet();
            }
        });
    }

    /** Removes a mapping {@link #map} added; connections it already forwarded go on. */
    public void unmap(NatMapping m) {
        active.decrementAndGet();
        writer.remove(m);
    }

    /** Takes back a mapping whose {@link #map} failed (nft may still apply it late). */
    public void abandon(NatMapping m) {
        writer.remove(m);
    }

    /** False once mappings can no longer be made: sessions then relay their data. */
    public boolean available() {
        return writer.gone() == null;
    }

    public long activeMappings() {
        return Math.max(0, active.get());
    }

    public long mappedTotal() {
        return mapped.get();
    }

    public long failedTotal() {
        return failed.get();
    }

    public String describe() {
        return "kernel NAT (nftables table ip " + config.table() + ", mappings " + writer.describe()
                + ") for plain passive data; TLS, active-mode and IPv6 data relayed";
    }

    /** Stops making mappings and deletes the table: connections already forwarded keep going (conntrack holds them). */
    @Override
    public void close() {
        writer.close();
        runQuietly(config, NftScript.deleteTable(config.table()));
    }

    private static void runOnce(KernelNatConfig config, String script, String what) throws ConfigException {
        String result = run(config, script);
        if (result != null) {
            throw new ConfigException("data.kernel-nat: 'true' (nft " + config.nft() + " could not " + what + " ip "
                    + config.table() + ": " + result + "; it needs CAP_NET_ADMIN and the kernel's nf_nat)");
        }
    }

    private static void runQuietly(KernelNatConfig config, String script) {
        String result = run(config, script);
        if (result != null) {
            log.warn("kernel NAT: nft: {}", result);
        }
    }

    /** Runs one nft script; null on success, else what went wrong. */
    private static String run(KernelNatConfig config, String script) {
        try {
            Process p = new ProcessBuilder(List.of(config.nft().toString(), "-f", "-")).redirectErrorStream(true).start();
            try (OutputStream in = p.getOutputStream()) {
                in.write(script.getBytes(StandardCharsets.US_ASCII));
            }
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "nft did not finish in 10 s";
            }
            return p.exitValue() == 0 ? null : (output.isEmpty() ? "exit code " + p.exitValue() : output.lines().findFirst().orElse(output));
        } catch (IOException e) {
            return e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
