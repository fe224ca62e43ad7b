package dev.portcullis.policy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.net.Addresses;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * fail2ban in the proxy: an address with {@code afterFailures} failed logins within
 * {@code window} is banned for {@code banTime}. Bans survive a restart when a file is given
 * (written atomically, off the event loops). The clock is injected for tests.
 */
public final class LoginBans implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("portcullis.bans");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<InetAddress, Deque<Long>> failures = new ConcurrentHashMap<>();
    private final Map<InetAddress, Long> bannedUntil = new ConcurrentHashMap<>();
    private final LongSupplier clockMillis;
    private final Optional<Path> file;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "portcullis-bans");
        t.setDaemon(true);
        return t;
    });
    private volatile int afterFailures;
    private volatile long windowMillis;
    private volatile long banMillis;

    public LoginBans(int afterFailures, Duration window, Duration banTime, Optional<Path> file, LongSupplier clockMillis) {
        this.clockMillis = clockMillis;
        this.file = file;
        configure(afterFailures, window, banTime);
        file.ifPresent(this::load);
    }

    /** New thresholds (a reload); current bans stay. {@code afterFailures} 0 turns banning off. */
    public void configure(int afterFailures, Duration window, Duration banTime) {
        this.afterFailures = afterFailures;
        this.windowMillis = window.toMillis();
        this.banMillis = banTime.toMillis();
    }

    public boolean isBanned(InetAddress address) {
        Long until = bannedUntil.get(Addresses.unmap(address));
        if (until == null) {
            return false;
        }
        if (until <= clockMillis.getAsLong()) {
            bannedUntil.remove(Addresses.unmap(address), until);
            save();
            return false;
        }
        return true;
    }

    /** Records a failed login; true if it made the address banned. */
    public boolean recordFailure(InetAddress address) {
        if (afterFailures <= 0) {
            return false;
        }
        InetAddress a = Addresses.unmap(address);
        long now = clockMillis.getAsLong();
        Deque<Long> times = failures.computeIfAbsent(a, k -> new ArrayDeque<>());
        synchronized (times) {
            times.addLast(now);
            while (!times.isEmpty() && times.peekFirst() <= now - windowMillis) {
                times.pollFirst();
            }
            if (times.size() < afterFailures) {
                return false;
            }
            times.clear();
        }
        failures.remove(a);
        bannedUntil.put(a, now + banMillis);
        log.warn("banned {} for {} s after {} failed logins", a.getHostAddress(), banMillis / 1000, afterFailures);
        save();
        return true;
    }

    /** Lifts a ban (the admin endpoint); true if there was one. */
    public boolean release(InetAddress address) {
        boolean had = bannedUntil.remove(Addresses.unmap(address)) != null;
        failures.remove(Addresses.unmap(address));
        if (had) {
            log.info("ban of {} released", address.getHostAddress());
            save();
        }
        return had;
    }

    /** Active bans: address to the epoch millisecond they end. */
    public Map<String, Long> active() {
        long now = clockMillis.getAsLong();
        Map<String, Long> out = new TreeMap<>();
        bannedUntil.forEach((a, until) -> {
            if (until > now) {
                out.put(a.getHostAddress(), until);
            }
        });
        return out;
    }

    private void load(Path f) {
        if (!Files.exists(f)) {
            return;
        }
        try {
            Map<?, ?> m = JSON.readValue(f.toFile(), Map.class);
            long now = clockMillis.getAsLong();
            m.forEach((k, v) -> {
                long until = ((Number) v).longValue();
                if (until > now) {
                    bannedUntil.put(dev.portcullis.net.HostAndPort.parse(k + ":1").socketAddress().getAddress(), until);
                }
            });
            log.info("loaded {} active ban(s) from {}", bannedUntil.size(), f);
        } catch (IOException | RuntimeException e) {
            log.warn("ban file {} not read ({}); starting with no bans", f, e.getMessage());
        }
    }

    private void save() {
        if (file.isEmpty()) {
            return;
        }
        Map<String, Long> snapshot = new LinkedHashMap<>(active());
        writer.execute(() -> {
            Path f = file.get();
            try {
                Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
                JSON.writeValue(tmp.toFile(), snapshot);
                Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                log.warn("ban file {} not written: {}", f, e.getMessage());
            }
        });
    }

    /** Waits for pending writes of the ban file (tests, shutdown). */
    public void flush() throws InterruptedException {
        java.util.concurrent.Future<?> f = writer.submit(() -> { });
        try {
            f.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        writer.shutdown();
    }
}
