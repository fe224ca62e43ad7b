package dev.portcullis.data.kernel;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mappings through one long-lived {@code nft -e -i} process (Java 17, where the proxy cannot open a
 * netlink socket): a line on its standard input and an echo back, about a millisecond of nft's CPU
 * each (its parser and ruleset cache). An add completes when nft echoes the elements as added, fails
 * on nft's error for that line, when nft has gone, or after 2 s; a removal is fire-and-forget (nft
 * applies lines in order, so it follows its add).
 */
final class NftProcessMappings implements MappingWriter {

    private static final Logger log = LoggerFactory.getLogger(KernelNat.class);
    private static final long ANSWER_SECONDS = 2;

    private final String table;
    private final Path nftPath;
    private final Duration ttl;
    private final Process nft;
    private final OutputStream commands;
    /** Adds nft has not answered yet, by key. */
    private final Map<String, CompletableFuture<Void>> pending = new ConcurrentHashMap<>();
    private volatile String gone;
    private volatile boolean closing;

    NftProcessMappings(String table, Path nftPath, Duration ttl) throws IOException {
        this.table = table;
        this.nftPath = nftPath;
        this.ttl = ttl;
        this.nft = new ProcessBuilder(nftPath.toString(), "-e", "-i").redirectInput(ProcessBuilder.Redirect.PIPE).start();
        this.commands = nft.getOutputStream();
        Thread out = new Thread(this::readEchoes, "portcullis-nft-echo");
        out.setDaemon(true);
        out.start();
        Thread err = new Thread(this::readErrors, "portcullis-nft-errors");
        err.setDaemon(true);
        err.start();
    }

    @Override
    public CompletableFuture<Void> add(NatMapping m) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        pending.put(m.key(), done);
        done.whenComplete((v, e) -> pending.remove(m.key(), done));
        send(NftScript.add(table, m, ttl), done);
        return done.orTimeout(ANSWER_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public void remove(NatMapping m) {
        send(NftScript.remove(table, m), null);
    }

    @Override
    public String gone() {
        return gone;
    }

    @Override
    public String describe() {
        return "through " + nftPath + " -i (" + NetlinkMappings.unavailableBecause() + ")";
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
                NftScript.addedKey(table, line).map(pending::get).ifPresent(f -> f.complete(null));
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
                String key = NftScript.quotedKey(table, line).orElse(null);
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

    /** Closes nft's input (it exits at the end of it) and waits for it a little. */
    @Override
    public void close() {
        closing = true;
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
    }
}
