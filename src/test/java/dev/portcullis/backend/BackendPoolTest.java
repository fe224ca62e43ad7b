package dev.portcullis.backend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.config.BackendPoolConfig;
import dev.portcullis.config.BackendPoolConfig.Balance;
import dev.portcullis.config.BackendPoolConfig.UserRoute;
import dev.portcullis.config.HealthCheckConfig;
import dev.portcullis.net.HostAndPort;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class BackendPoolTest {

    private static final HostAndPort A = HostAndPort.parse("192.0.2.1:21");
    private static final HostAndPort B = HostAndPort.parse("192.0.2.2:21");
    private static final HostAndPort C = HostAndPort.parse("192.0.2.3:21");

    private static BackendPool pool(Balance balance, List<UserRoute> routes, HostAndPort... members) {
        BackendPool p = new BackendPool();
        p.configure(new BackendPoolConfig(List.of(members), balance, routes, HealthCheckConfig.DEFAULTS), Optional.empty());
        return p;
    }

    private static BackendMember member(BackendPool p, HostAndPort a) {
        return p.members().stream().filter(m -> m.address().equals(a)).findFirst().orElseThrow();
    }

    private static List<HostAndPort> picks(BackendPool p, String user, int n) {
        List<HostAndPort> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(p.select(user, Set.of()).map(BackendMember::address).orElse(null));
        }
        return out;
    }

    @Test
    void roundRobinSkipsDownAndTriedMembers() {
        BackendPool p = pool(Balance.ROUND_ROBIN, List.of(), A, B, C);
        assertThat(picks(p, null, 6)).containsExactly(A, B, C, A, B, C);
        member(p, B).record(false, "down", 2, 1);
        assertThat(picks(p, null, 4)).doesNotContain(B).contains(A, C);
        assertThat(p.select(null, Set.of(member(p, A), member(p, C)))).isEmpty();
        member(p, A).record(false, "down", 2, 1);
        member(p, C).record(false, "down", 2, 1);
        assertThat(p.anyUp()).isFalse();
        assertThat(p.select(null, Set.of())).isEmpty();
    }

    @Test
    void riseAndFallNeedResultsInARow() {
        BackendPool p = pool(Balance.ROUND_ROBIN, List.of(), A);
        BackendMember m = member(p, A);
        assertThat(m.record(false, "x", 2, 3)).isFalse();
        assertThat(m.record(false, "x", 2, 3)).isFalse();
        assertThat(m.record(true, "ok", 2, 3)).isFalse(); // the run of failures is broken
        assertThat(m.record(false, "x", 2, 3) || m.record(false, "x", 2, 3)).isFalse();
        assertThat(m.record(false, "x", 2, 3)).isTrue();
        assertThat(m.up()).isFalse();
        assertThat(m.record(true, "ok", 2, 3)).isFalse();
        assertThat(m.record(true, "ok", 2, 3)).isTrue();
        assertThat(m.up()).isTrue();
    }

    @Test
    void leastConnectionsPrefersTheQuietestMember() {
        BackendPool p = pool(Balance.LEAST_CONNECTIONS, List.of(), A, B);
        member(p, A).sessionStarted();
        member(p, A).sessionStarted();
        member(p, B).sessionStarted();
        assertThat(picks(p, null, 3)).containsOnly(B);
        member(p, A).sessionEnded();
        member(p, A).sessionEnded();
        assertThat(picks(p, null, 3)).containsOnly(A);
    }

    @Test
    void perUserRoutesByTheFirstMatchingPattern() {
        BackendPool p = pool(Balance.PER_USER, List.of(
                new UserRoute(Pattern.compile("alice|bob"), List.of(A)),
                new UserRoute(Pattern.compile("ops-.*"), List.of(B, C))), A);
        assertThat(p.routesByUser()).isTrue();
        assertThat(picks(p, "alice", 2)).containsOnly(A);
        assertThat(picks(p, "ops-1", 4)).containsExactlyInAnyOrder(B, C, B, C);
        assertThat(p.select("mallory", Set.of())).isEmpty(); // no default route
        assertThat(p.select("alicea", Set.of())).isEmpty(); // the whole name must match
        assertThat(p.members()).extracting(BackendMember::address).containsExactly(A, B, C);
    }

    @Test
    void reloadKeepsTheStateOfMembersThatStay() {
        BackendPool p = pool(Balance.ROUND_ROBIN, List.of(), A, B);
        member(p, A).record(false, "down", 1, 1);
        member(p, B).sessionStarted();
        List<BackendMember> dropped = p.configure(new BackendPoolConfig(List.of(B, C), Balance.ROUND_ROBIN, List.of(),
                HealthCheckConfig.DEFAULTS), Optional.empty());
        assertThat(dropped).extracting(BackendMember::address).containsExactly(A);
        assertThat(member(p, B).sessions()).isEqualTo(1);
        assertThat(p.members()).extracting(BackendMember::address).containsExactly(B, C);
    }

    @Test
    void demoModeUsesTheStandIn() {
        BackendPool p = new BackendPool();
        p.configure(BackendPoolConfig.DEMO, Optional.of(A));
        assertThat(p.select(null, Set.of())).get().extracting(BackendMember::address).isEqualTo(A);
        assertThat(p.routesByUser()).isFalse();
    }
}
