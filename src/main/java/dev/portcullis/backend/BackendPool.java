package dev.portcullis.backend;

import dev.portcullis.config.BackendPoolConfig;
import dev.portcullis.config.BackendPoolConfig.Balance;
import dev.portcullis.config.BackendPoolConfig.UserRoute;
import dev.portcullis.net.HostAndPort;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The backends new sessions are spread over. Members keep their health and session counts across
 * a reload that keeps their address. Selection skips members the health checks took out; a
 * caller that failed to reach a member passes it in {@code tried} and gets another.
 */
public final class BackendPool {

    private final AtomicLong turn = new AtomicLong();
    private volatile Map<HostAndPort, BackendMember> members = Map.of();
    private volatile BackendPoolConfig config = BackendPoolConfig.DEMO;
    private volatile List<BackendMember> balanced = List.of();

    /**
     * Applies a pool configuration; {@code demo} stands in when it names no backend.
     *
     * @return the members dropped by this configuration (their gauges go away)
     */
    public synchronized List<BackendMember> configure(BackendPoolConfig next, Optional<HostAndPort> demo) {
        List<HostAndPort> addresses = next.isDemo() ? demo.map(List::of).orElse(List.of()) : next.allBackends();
        Map<HostAndPort, BackendMember> old = members;
        Map<HostAndPort, BackendMember> fresh = new LinkedHashMap<>();
        for (HostAndPort a : addresses) {
            fresh.put(a, old.getOrDefault(a, new BackendMember(a)));
        }
        List<BackendMember> dropped = new ArrayList<>();
        old.forEach((a, m) -> {
            if (!fresh.containsKey(a)) {
                dropped.add(m);
            }
        });
        List<BackendMember> inBalance = new ArrayList<>();
        for (HostAndPort a : next.isDemo() ? addresses : next.backends()) {
            inBalance.add(fresh.get(a));
        }
        members = Map.copyOf(fresh);
        balanced = List.copyOf(inBalance);
        config = next;
        if (!next.healthCheck().enabled()) {
            fresh.values().forEach(BackendMember::forceUp);
        }
        return dropped;
    }

    /** Every member, in configuration order. */
    public List<BackendMember> members() {
        List<BackendMember> out = new ArrayList<>();
        for (HostAndPort a : config.isDemo() ? new ArrayList<>(members.keySet()) : config.allBackends()) {
            BackendMember m = members.get(a);
            if (m != null) {
                out.add(m);
            }
        }
        return out;
    }

    public Balance balance() {
        return config.balance();
    }

    /** Whether the backend is chosen by USER name: the proxy must take the login itself first. */
    public boolean routesByUser() {
        return config.balance() == Balance.PER_USER && !config.isDemo();
    }

    public boolean anyUp() {
        return members.values().stream().anyMatch(BackendMember::up);
    }

    /** The route for a USER name, if any route's pattern matches the whole name. */
    public Optional<UserRoute> routeFor(String user) {
        for (UserRoute r : config.userRoutes()) {
            if (r.user().matcher(user).matches()) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    /**
     * The backend for a new session, or empty when every candidate is down or already tried.
     *
     * @param user  the USER name (per-user balancing only; null otherwise)
     * @param tried members this session could not reach already
     */
    public Optional<BackendMember> select(String user, Set<BackendMember> tried) {
        List<BackendMember> candidates;
        if (routesByUser()) {
            Optional<UserRoute> route = user == null ? Optional.empty() : routeFor(user);
            if (route.isEmpty()) {
                return Optional.empty();
            }
            candidates = new ArrayList<>();
            for (HostAndPort a : route.get().backends()) {
                candidates.add(members.get(a));
            }
        } else {
            candidates = balanced;
        }
        List<BackendMember> usable = new ArrayList<>();
        for (BackendMember m : candidates) {
            if (m != null && m.acceptsSessions() && !tried.contains(m)) {
                usable.add(m);
            }
        }
        if (usable.isEmpty()) {
            return Optional.empty();
        }
        int start = (int) Math.floorMod(turn.getAndIncrement(), (long) usable.size());
        if (config.balance() != Balance.LEAST_CONNECTIONS) {
            return Optional.of(usable.get(start));
        }
        // Least connections; ties go round the pool so that an idle pool still spreads sessions.
        BackendMember best = null;
        for (int i = 0; i < usable.size(); i++) {
            BackendMember m = usable.get((start + i) % usable.size());
            if (best == null || m.sessions() < best.sessions()) {
                best = m;
            }
        }
        return Optional.of(best);
    }
}
