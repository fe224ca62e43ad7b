package dev.portcullis.nat;

import dev.portcullis.config.ConfigException;
import dev.portcullis.config.KernelNatConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adds and removes the proxy's NAT mappings. The table is made with {@code nft -f -} at start; the
 * mappings then go, on Java 22 and later, as nf_tables netlink messages on a socket of the proxy's
 * own ({@link NetlinkMappings}: tens of microseconds each, on the caller's thread), else through one
 * long-lived {@code nft -e -i} process (a line on its standard input and an echo back; about a
 * millisecond of nft's CPU each, for its parser and ruleset cache). Either way {@link #map}
 * completes only once the kernel forwards the mapping, so a 227/229 never announces a port before
 * that; it fails on the kernel's or nft's error, or when nft has gone. With the process, removal is
 * fire-and-forget: nft applies lines in order.
 */
public final class KernelNat implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KernelNat.class);

    private final KernelNatConfig config;
    private final Duration ttl;
    private final NetlinkMappings netlink;
    private final Process nft;
    private final OutputStream commands;
    /** Adds nft has not answered yet, by key. */
    private final Map<String, CompletableFuture<Void>> pending = new ConcurrentHashMap<>();
    private final AtomicLong active = new AtomicLong();
    private final AtomicLong mapped = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile String gone;
    private volatile boolean closing;

    private KernelNat(KernelNatConfig config, Duration ttl, NetlinkMappings netlink) {
        this.config = config;
        this.ttl = ttl;
        this.netlink = netlink;
        this.nft = null;
        this.commands = null;
    }

    private KernelNat(KernelNatConfig config, Duration ttl, Process nft) {
        this.config = config;
        this.ttl = ttl;
        this.netlink = null;
        this.nft = nft;
        this.commands = nft.getOutputStream();
        Thread out = new Thread(this::readEchoes, "portcullis-nft-echo");
        out.setDaemon(true);
        out.start();
        Thread err = new Thread(this::readErrors, "portcullis-nft-errors");
        err.setDaemon(true);
        err.start();
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
        Optional<NetlinkMappings> netlink = NetlinkMappings.open();
        if (netlink.isPresent()) {
            return new KernelNat(config, ttl, netlink.get());
        }
        try {
            Process p = new ProcessBuilder(config.nft().toString(), "-e", "-i").redirectInput(ProcessBuilder.Redirect.PIPE).start();
            return new KernelNat(config, ttl, p);
        } catch (IOException e) {
            runQuietly(config, NftScript.deleteTable(config.table()));
            throw new ConfigException("data.kernel-nat-nft: '" + config.nft() + "' (cannot be started: " + e.getMessage() + ")");
        }
    }

    /** Adds {@code m}; completes once the kernel forwards it. */
    public CompletableFuture<Void> map(NatMapping m) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (gone != null) {
            failed.incrementAndGet();
            done.completeExceptionally(new IOException(gone));
            return done;
        }
        done.whenComplete((v, e) -> {
            if (e == null) {
                mapped.incrementAndGet();
                active.incrementAndGet();
            } else {
                failed.incrementAndGet();
            }
        });
        if (netlink != null) {
            try {
                netlink.add(config.table(), m, ttl);
                done.complete(null);
            } catch (IOException e) {
                done.completeExceptionally(e);
            }
            return done;
        }
        pending.put(m.key(), done);
        done.whenComplete((v, e) -> pending.remove(m.key(), done));
        send(NftScript.add(config.table(), m, ttl), done);
        return done;
    }

    /** Removes a mapping {@link #map} added; connections it already forwarded go on. */
    public void unmap(NatMapping m) {
        active.decrementAndGet();
        remove(m);
    }

    /** Takes back a mapping whose {@link #map} failed or was given up on (nft may still apply it late). */
    public void abandon(NatMapping m) {
        remove(m);
    }

    private void remove(NatMapping m) {
        if (netlink == null) {
            send(NftScript.remove(config.table(), m), null);
            return;
        }
        try {
            netlink.remove(config.table(), m);
        } catch (IOException e) {
            log.warn("kernel NAT: removing {}: {}", m, e.getMessage());
        }
    }

    private void send(String line, CompletableFuture<Void> onFailure) {
        try {
            synchronized (commands) {
                commands.write(line.getBytes(StandardCharsets.US_ASCII));
                commands.flush();
            }
        } catch (IOException e) {
            lost("nft stopped taking commands: " + e.getMessage());
            if (onFailure != null) {
                onFailure.completeExceptionally(e);
            }
        }
    }

    private void readEchoes() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(nft.getInputStream(), StandardCharsets.US_ASCII))) {
            for (String line; (line = r.readLine()) != null; ) {
                NftScript.addedKey(config.table(), line).map(pending::get).ifPresent(f -> f.complete(null));
            }
        } catch (IOException e) {
            // the process ended; readErrors reports it
        }
        lost("nft exited (" + exitCode() + ")");
    }

    private void readErrors() {
        String error = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(nft.getErrorStream(), StandardCharsets.US_ASCII))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("Error:")) {
                    error = line;
                    continue;
                }
                if (error == null || line.isBlank() || line.strip().startsWith("^")) {
                    continue;
                }
                String key = NftScript.quotedKey(config.table(), line).orElse(null);
                CompletableFuture<Void> f = key == null ? null : pending.get(key);
                if (f != null) {
                    f.completeExceptionally(new IOException(error));
                } else if (!line.startsWith("delete element") || !error.contains("No such file or directory")) {
                    // A removal of an element that timed out already is expected; anything else is not.
                    log.warn("nft: {} ({})", error, line.strip());
                }
                error = null;
            }
        } catch (IOException e) {
            // the process ended
        }
    }

    private void lost(String why) {
        if (gone == null) {
            gone = why;
            if (!closing) {
                log.error("kernel NAT: {}; new passive data connections are relayed by the proxy", why);
            }
        }
        pending.values().forEach(f -> f.completeExceptionally(new IOException(why)));
    }

    private String exitCode() {
        try {
            return nft.waitFor(1, TimeUnit.SECONDS) ? "exit code " + nft.exitValue() : "still running";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** False once nft has gone: sessions then relay their data. */
    public boolean available() {
        return gone == null;
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
        return "kernel NAT (nftables table ip " + config.table() + ", mappings "
                + (netlink != null ? "by netlink" : "through " + config.nft() + " -i (" + NetlinkMappings.unavailableBecause() + ")")
                + ") for plain passive data; TLS, active-mode and IPv6 data relayed";
    }

    /** Stops nft and deletes the table: connections already forwarded keep going (conntrack holds them). */
    @Override
    public void close() {
        closing = true;
        if (netlink != null) {
            netlink.close();
            runQuietly(config, NftScript.deleteTable(config.table()));
            return;
        }
        try {
            commands.close();
        } catch (IOException e) {
            // it has gone already
        }
        try {
            if (!nft.waitFor(2, TimeUnit.SECONDS)) {
                nft.destroy();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
