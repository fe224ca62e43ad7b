package dev.portcullis.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.portcullis.net.HostAndPort;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The FTP servers sessions are relayed to, how one is chosen for a new session, and how their
 * health is checked. A session keeps its backend for life; its data connections go there too.
 *
 * @param backends    the pool, in the order given (empty: the embedded demo backend)
 * @param balance     how a new session's backend is chosen
 * @param userRoutes  for {@link Balance#PER_USER}: the first route whose pattern matches the whole
 *                    USER name picks the backends (round-robin among the healthy ones)
 * @param healthCheck active FTP-level checks of every backend
 */
public record BackendPoolConfig(List<HostAndPort> backends, Balance balance, List<UserRoute> userRoutes,
                                HealthCheckConfig healthCheck) {

    public enum Balance { ROUND_ROBIN, LEAST_CONNECTIONS, PER_USER }

    /**
     * @param user     a regular expression matched against the whole USER name ({@code .*} for a default)
     * @param backends the backends for users it matches
     */
    public record UserRoute(Pattern user, @JsonProperty("backend") List<HostAndPort> backends) {
        public UserRoute {
            backends = backends == null ? List.of() : List.copyOf(backends); // none: the validator names the key
        }
    }

    public static final BackendPoolConfig DEMO = new BackendPoolConfig(List.of(), Balance.ROUND_ROBIN, List.of(), HealthCheckConfig.DEFAULTS);

    public BackendPoolConfig {
        backends = List.copyOf(backends);
        userRoutes = List.copyOf(userRoutes);
    }

    public static BackendPoolConfig single(HostAndPort backend) {
        return new BackendPoolConfig(List.of(backend), Balance.ROUND_ROBIN, List.of(), HealthCheckConfig.DEFAULTS);
    }

    /** Every backend named, in the pool list or only in a route, once each. */
    public List<HostAndPort> allBackends() {
        Set<HostAndPort> all = new LinkedHashSet<>(backends);
        for (UserRoute r : userRoutes) {
            all.addAll(r.backends());
        }
        return new ArrayList<>(all);
    }

    public Optional<HostAndPort> first() {
        List<HostAndPort> all = allBackends();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
    }

    public boolean isDemo() {
        return allBackends().isEmpty();
    }

    public BackendPoolConfig withHealthCheck(HealthCheckConfig h) {
        return new BackendPoolConfig(backends, balance, userRoutes, h);
    }
}
