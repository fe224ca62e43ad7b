package dev.portcullis.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Jackson binding itself: defaults.yaml, strict value types, unknown keys at any depth, messages. */
class ConfigBinderTest {

    @TempDir
    Path dir;

    @Test
    void defaultsYamlIsTheRecordsDefaults() throws Exception {
        ProxyConfig c = ConfigLoader.load(Optional.empty(), CliOverrides.NONE);
        assertThat(c.timeouts()).isEqualTo(Timeouts.DEFAULTS);
        assertThat(c.limits()).isEqualTo(Limits.DEFAULTS);
        assertThat(c.data()).isEqualTo(DataPolicy.DEFAULTS);
        assertThat(c.backends()).isEqualTo(BackendPoolConfig.DEMO);
        assertThat(c.tls()).isEqualTo(TlsConfig.DISABLED);
        assertThat(c.backendTls()).isEqualTo(BackendTlsConfig.OFF);
        assertThat(c.audit()).isEqualTo(AuditConfig.OFF);
        assertThat(c.proxyProtocol()).isEqualTo(ProxyProtocolConfig.OFF);
        assertThat(c.transparent()).isEqualTo(TransparentConfig.OFF);
        assertThat(c.commands().denyCommands()).isEqualTo(CommandRules.DEFAULT_DENIED);
        assertThat(c.listen()).containsExactly(ConfigValues.listenAddress(ConfigLoader.DEFAULT_LISTEN));
        assertThat(c.passivePorts()).isEqualTo(PortRange.parse(ConfigLoader.DEFAULT_PASSIVE_PORTS));
        assertThat(c.admin().listen()).contains(ConfigValues.listenAddress(AdminConfig.DEFAULT_LISTEN));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            limits: {max-sessions: "10"}                 | limits.max-sessions: '10' (expected a whole number from 1 to 1000000)
            limits: {max-sessions: 2.5}                  | limits.max-sessions: '2.5' (expected a whole number from 1 to 1000000)
            data: {zero-copy: "yes"}                     | data.zero-copy: 'yes' (expected true or false)
            data: {backend-mode: true}                   | data.backend-mode: 'true' (expected a string)
            timeouts: 5                                  | timeouts: '5' (expected a mapping with keys [backend-connect, backend-reply, data-connect, expectation, idle, login])
            tls: {listeners: [{address: "127.0.0.1:2121", colour: red}]} | tls.listeners.0.colour: '"red"' (unknown key; known keys here: [address, data-protection, policy])
            policy: {allow-commands: []}                 | policy.allow-commands: '[]' (expected a string or a non-empty list of strings)
            audit: {max-file-size: lots}                 | audit.max-file-size: 'lots' (expected a size such as 100MB, 512KB or 5GB)
            limits: {bandwidth-total: 10}                | limits.bandwidth-total: '10' (expected at least 1KiB/s (or 0: no limit))
            transparent: {allow-destinations: [10.0.0.0/33]} | transparent.allow-destinations: '10.0.0.0/33'
            """)
    void refusedValuesNameFileKeyValueAndExpectation(String yaml, String message) throws Exception {
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, yaml + "\n");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(f), CliOverrides.NONE)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(f + ": " + message);
    }

    @Test
    void aFlagIsALayerOverTheFileCheckedLikeItsKey() throws Exception {
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, "limits: {max-sessions-per-ip: 5}\npolicy: {ban-time: 1m}\n");
        CliOverrides cli = new CliOverrides(java.util.List.of(), java.util.List.of(), null, null, null, null, null, java.util.List.of(),
                null, null, null, null, null, false, "7", null, "soon");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(f), cli))
                .hasMessage("--ban-time: 'soon' (expected a duration such as 30s, 500ms, 15m or a number of seconds)");
        CliOverrides good = new CliOverrides(java.util.List.of(), java.util.List.of(), null, null, null, null, null, java.util.List.of(),
                null, null, null, null, null, false, "7", null, "2m");
        ProxyConfig c = ConfigLoader.load(Optional.of(f), good);
        assertThat(c.limits().maxSessionsPerIp()).isEqualTo(7);
        assertThat(c.commands().banTime()).hasMinutes(2);
    }

    @Test
    void knownKeysComeFromTheRecords() {
        assertThat(ConfigLoader.knownKeys()).contains("listen", "data.kernel-nat-table", "tls.listeners[].policy",
                "user-routes[].backend", "transparent.spoof-client-address", "admin.token").doesNotContain("backends", "commands", "tls.per-listener");
    }
}
