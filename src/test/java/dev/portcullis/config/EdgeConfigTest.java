package dev.portcullis.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.net.HostAndPort;
import dev.portcullis.net.Cidr;
import dev.portcullis.config.BackendPoolConfig.Balance;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The edge keys: pools and routes, health checks, data limits, rates, strict mode, transparent mode. */
class EdgeConfigTest {

    @TempDir
    Path dir;

    private ProxyConfig load(String text) throws Exception {
        Path f = dir.resolve("edge.yaml");
        Files.writeString(f, text);
        return ConfigLoader.load(Optional.of(f), CliOverrides.NONE);
    }

    private void refused(String text, String message) throws Exception {
        Path f = dir.resolve("edge.yaml");
        Files.writeString(f, text);
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(f), CliOverrides.NONE)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining(message);
    }

    @Test
    void aPoolWithRoutesAndHealthChecks() throws Exception {
        ProxyConfig c = load("""
                backend: ["10.0.0.1:21", "10.0.0.2:2121"]
                balance: per-user
                user-routes:
                  - {user: "^(alice|bob)$", backend: "10.0.0.1:21"}
                  - {user: ".*", backend: ["10.0.0.2:2121", "10.0.0.3:21"]}
                health-check: {interval: 2s, timeout: 500ms, rise: 3, fall: 1, auth-tls: true, user: probe, password: s3cret}
                """);
        BackendPoolConfig p = c.backends();
        assertThat(p.balance()).isEqualTo(Balance.PER_USER);
        assertThat(p.allBackends()).containsExactly(HostAndPort.parse("10.0.0.1:21"), HostAndPort.parse("10.0.0.2:2121"),
                HostAndPort.parse("10.0.0.3:21"));
        assertThat(p.userRoutes()).hasSize(2);
        assertThat(p.userRoutes().get(0).user().matcher("alice").matches()).isTrue();
        assertThat(p.healthCheck()).isEqualTo(new HealthCheckConfig(true, Duration.ofSeconds(2), Duration.ofMillis(500), 3, 1, true,
                Optional.of("probe"), Optional.of("s3cret")));
        assertThat(p.healthCheck().toString()).doesNotContain("s3cret");
    }

    @Test
    void repeatedBackendFlagsMakeAPool() throws Exception {
        ProxyConfig c = ConfigLoader.load(Optional.empty(), new CliOverrides(List.of(), List.of("a:21", "b:21"), "least-connections",
                null, null, null, null, List.of(), null, null, null, null, null, false, null, null, null));
        assertThat(c.backends().backends()).containsExactly(HostAndPort.parse("a:21"), HostAndPort.parse("b:21"));
        assertThat(c.backends().balance()).isEqualTo(Balance.LEAST_CONNECTIONS);
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), new CliOverrides(List.of(), List.of("a:21"), "random",
                null, null, null, null, List.of(), null, null, null, null, null, false, null, null, null)))
                .hasMessage("--balance: 'random' (expected one of [round-robin, least-connections, per-user])");
    }

    @Test
    void poolMistakesNameTheKey() throws Exception {
        refused("backend: [a:21]\nbalance: per-user\n", "user-routes: '[]' (balance per-user needs user-routes");
        refused("backend: [a:21]\nuser-routes: [{user: x, backend: a:21}]\n", "balance: 'round-robin' (user-routes are only used with balance: per-user)");
        refused("balance: per-user\nuser-routes: [{user: \"(\", backend: a:21}]\n", "user-routes.0.user: '(' (expected a regular expression");
        refused("balance: per-user\nuser-routes: [{user: x}]\n", "user-routes.0.backend");
        refused("backend: [a:21, nope]\n", "backend: 'nope' (expected HOST:PORT");
        refused("health-check: {fall: 0}\n", "health-check.fall: '0' (expected a whole number from 1 to 100)");
        refused("health-check: {user: probe}\n", "health-check.password");
        refused("health-check: {every: 1s}\n", "health-check.every");
    }

    @Test
    void dataLimitsAndRates() throws Exception {
        ProxyConfig c = load("""
                limits: {max-data-ports-per-session: 1, max-data-ports-per-ip: 8, max-transfers-per-session: 100,
                         bandwidth-per-session: 10MiB/s, bandwidth-total: 1Gbit/s}
                policy: {strict-protocol: true}
                """);
        assertThat(c.limits().maxDataPortsPerSession()).isEqualTo(1);
        assertThat(c.limits().maxDataPortsPerIp()).isEqualTo(8);
        assertThat(c.limits().maxTransfersPerSession()).isEqualTo(100);
        assertThat(c.limits().bandwidthPerSession()).isEqualTo(10L * 1024 * 1024);
        assertThat(c.limits().bandwidthTotal()).isEqualTo(125_000_000L);
        assertThat(c.commands().strictProtocol()).isTrue();
        assertThat(ConfigValues.rate("500KB/s")).isEqualTo(500_000L);
        assertThat(ConfigValues.rate("2048")).isEqualTo(2048L);
        assertThat(ConfigValues.rate("0")).isZero();
        assertThat(ConfigValues.rate("1.5MiB")).isEqualTo(1_572_864L);
        refused("limits: {bandwidth-total: fast}\n", "limits.bandwidth-total: 'fast' (expected a rate such as 10MiB/s");
        refused("limits: {bandwidth-per-session: 10}\n", "limits.bandwidth-per-session: '10' (expected at least 1KiB/s");
        refused("limits: {max-data-ports-per-session: 0}\n", "limits.max-data-ports-per-session: '0'");
    }

    @Test
    void transparentMode() throws Exception {
        ProxyConfig c = load("""
                transparent: {mode: tproxy, allow-destinations: ["203.0.113.0/24", "2001:db8::/32"], spoof-client-address: true}
                """);
        assertThat(c.transparent().mode()).isEqualTo(TransparentConfig.Mode.TPROXY);
        assertThat(c.transparent().spoofClient()).isTrue();
        assertThat(c.transparent().allowDestinations().get(0).contains(InetAddress.getByName("203.0.113.200"))).isTrue();
        assertThat(c.transparent().allowDestinations().get(0).contains(InetAddress.getByName("203.0.114.1"))).isFalse();
        assertThat(c.transparent().allowDestinations().get(1).contains(InetAddress.getByName("2001:db8:1::1"))).isTrue();
        refused("transparent: {mode: redirect}\n", "transparent.allow-destinations: '[]' (transparent mode needs the networks");
        refused("backend: a:21\ntransparent: {mode: redirect, allow-destinations: [10.0.0.0/8]}\n", "backend: '[a:21]'");
        refused("transparent: {mode: redirect, allow-destinations: [10.0.0.0/33]}\n", "transparent.allow-destinations: '10.0.0.0/33'");
        refused("proxy-protocol: {data-peer-check: header}\n", "expected one of [address, proxy-header, off]");
    }

    @Test
    void cidrTable() {
        assertThat(Cidr.parse("198.51.100.0/24").contains(ip("198.51.100.255"))).isTrue();
        assertThat(Cidr.parse("198.51.100.0/25").contains(ip("198.51.100.128"))).isFalse();
        assertThat(Cidr.parse("0.0.0.0/0").contains(ip("192.0.2.1"))).isTrue();
        assertThat(Cidr.parse("192.0.2.7").contains(ip("192.0.2.7"))).isTrue();
        assertThat(Cidr.parse("192.0.2.7").contains(ip("192.0.2.8"))).isFalse();
        assertThat(Cidr.parse("203.0.113.0/24").contains(ip("::ffff:203.0.113.9"))).isTrue();
        assertThat(Cidr.parse("2001:db8::/32").contains(ip("203.0.113.9"))).isFalse();
        assertThat(Cidr.parse("203.0.113.0/24").toString()).isEqualTo("203.0.113.0/24");
        assertThatThrownBy(() -> Cidr.parse("example.com/8")).isInstanceOf(IllegalArgumentException.class);
    }

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
