package dev.portcullis.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.net.HostAndPort;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    private Path yaml(String text) throws Exception {
        Path f = dir.resolve("portcullis.yaml");
        Files.writeString(f, text);
        return f;
    }

    @Test
    void defaultsAreStrict() throws Exception {
        ProxyConfig c = ConfigLoader.load(Optional.empty(), CliOverrides.NONE);
        assertThat(c.listen()).containsExactly(new InetSocketAddress("127.0.0.1", 2121));
        assertThat(c.backends().isDemo()).isTrue();
        assertThat(c.backends().healthCheck()).isEqualTo(HealthCheckConfig.DEFAULTS);
        assertThat(c.limits().maxDataPortsPerIp()).isEqualTo(64);
        assertThat(c.commands().strictProtocol()).isFalse();
        assertThat(c.transparent().enabled()).isFalse();
        assertThat(c.data().allowForeignAddress()).isFalse();
        assertThat(c.data().allowPrivilegedPorts()).isFalse();
        assertThat(c.limits().maxLineLength()).isEqualTo(4094);
        assertThat(c.timeouts().idle()).isEqualTo(Duration.ofSeconds(900));
        assertThat(c.timeouts().dataConnect()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.timeouts().backendConnect()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.timeouts().expectation()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void readsEveryKey() throws Exception {
        ProxyConfig c = ConfigLoader.load(Optional.of(yaml("""
                listen: ["0.0.0.0:21", "[::]:21"]
                backend: ftp.internal:2121
                passive-ports: 40000-40099
                public-address: 203.0.113.7
                timeouts: {idle: 5m, data-connect: 500ms, backend-connect: 3, expectation: 10s}
                limits: {max-line-length: 1024, max-bad-lines: 5, max-reply-lines: 50}
                data:
                  allow-foreign-address: true
                  allow-privileged-ports: false
                  active-source-port: 20
                  backend-mode: active
                  backend-active-source: 192.0.2.1
                  backend-pasv-address: announced
                """)), CliOverrides.NONE);
        assertThat(c.listen()).hasSize(2);
        assertThat(c.backends().allBackends()).containsExactly(new HostAndPort("ftp.internal", 2121));
        assertThat(c.passivePorts()).isEqualTo(new PortRange(40000, 40099));
        assertThat(c.publicAddress()).get().extracting(a -> a.getHostAddress()).isEqualTo("203.0.113.7");
        assertThat(c.timeouts()).isEqualTo(new Timeouts(Duration.ofMinutes(5), Duration.ofMillis(500), Duration.ofSeconds(3), Duration.ofSeconds(10)));
        assertThat(c.limits()).isEqualTo(new Limits(1024, 5, 50));
        assertThat(c.data().allowForeignAddress()).isTrue();
        assertThat(c.data().activeSourcePort()).isEqualTo(20);
        assertThat(c.data().backendMode()).isEqualTo(DataPolicy.BackendDataMode.ACTIVE);
        assertThat(c.data().backendPasvAddress()).isEqualTo(DataPolicy.BackendPasvAddress.ANNOUNCED);
    }

    @Test
    void splicePipeSizesReadAsBytesAndAreBounded() throws Exception {
        assertThat(ConfigLoader.load(Optional.empty(), CliOverrides.NONE).data())
                .extracting(DataPolicy::splicePipeSize, DataPolicy::splicePipeBudget).containsExactly(1 << 20, 32L << 20);
        ProxyConfig c = ConfigLoader.load(Optional.of(yaml("data: {splice-pipe-size: 512KiB, splice-pipe-budget: 65536}\n")),
                CliOverrides.NONE);
        assertThat(c.data().splicePipeSize()).isEqualTo(512 * 1024);
        assertThat(c.data().splicePipeBudget()).isEqualTo(65536);
        Path big = yaml("data: {splice-pipe-size: 1GiB}\n");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(big), CliOverrides.NONE))
                .hasMessage(big + ": data.splice-pipe-size: '1GiB' (expected a size from 0 to 67108864 bytes)");
        Path word = yaml("data: {splice-pipe-budget: lots}\n");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(word), CliOverrides.NONE))
                .hasMessage(word + ": data.splice-pipe-budget: 'lots' (expected a size such as 1MiB, 512KiB or a number of bytes)");
    }

    @Test
    void kernelNatIsOffByDefaultAndItsErrorsNameKeyAndValue() throws Exception {
        assertThat(ConfigLoader.load(Optional.empty(), CliOverrides.NONE).data().kernelNat()).isEqualTo(KernelNatConfig.OFF);
        ProxyConfig c = ConfigLoader.load(Optional.of(yaml("data: {kernel-nat: true, kernel-nat-nft: /bin/sh, kernel-nat-table: edge_1}\n")),
                CliOverrides.NONE);
        assertThat(c.data().kernelNat()).isEqualTo(new KernelNatConfig(true, Path.of("/bin/sh"), "edge_1"));
        Path badTable = yaml("data: {kernel-nat: true, kernel-nat-nft: /bin/sh, kernel-nat-table: \"x; flush ruleset\"}\n");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(badTable), CliOverrides.NONE))
                .hasMessage(badTable + ": data.kernel-nat-table: 'x; flush ruleset' (expected a table name of letters, digits and '_',"
                        + " starting with a letter, at most 32 characters)");
        Path noNft = yaml("data: {kernel-nat: true, kernel-nat-nft: /nonexistent/nft}\n");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(noNft), CliOverrides.NONE))
                .hasMessage(noNft + ": data.kernel-nat-nft: '/nonexistent/nft' (expected an executable file)");
        Path paced = yaml("limits: {bandwidth-per-session: 1MiB/s}\ndata: {kernel-nat: true, kernel-nat-nft: /bin/sh}\n");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(paced), CliOverrides.NONE))
                .hasMessage(paced + ": data.kernel-nat: 'true' (kernel-forwarded data cannot be combined with limits.bandwidth-*"
                        + " (the kernel does not pace data))");
        Path proxied = yaml("proxy-protocol: {accept: true}\ndata: {kernel-nat: true, kernel-nat-nft: /bin/sh}\n");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(proxied), CliOverrides.NONE))
                .hasMessageContaining(": data.kernel-nat: 'true' (kernel-forwarded data cannot be combined with proxy-protocol.accept");
        // Off, the nft path is not looked at.
        assertThat(ConfigLoader.load(Optional.of(yaml("data: {kernel-nat-nft: /nonexistent/nft}\n")), CliOverrides.NONE)
                .data().kernelNat().enabled()).isFalse();
    }

    @Test
    void flagsOverrideTheFile() throws Exception {
        ProxyConfig c = ConfigLoader.load(Optional.of(yaml("backend: a:21\npassive-ports: 40000-40099\n")),
                new CliOverrides(List.of("127.0.0.1:2200"), "b:2121", "41000-41009", "198.51.100.1"));
        assertThat(c.backends().allBackends()).containsExactly(new HostAndPort("b", 2121));
        assertThat(c.passivePorts()).isEqualTo(new PortRange(41000, 41009));
        assertThat(c.listen()).containsExactly(new InetSocketAddress("127.0.0.1", 2200));
    }

    @Test
    void errorsNameFileKeyValueAndExpectation() throws Exception {
        Path f = yaml("passive-ports: 70000-70100\n");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(f), CliOverrides.NONE))
                .isInstanceOf(ConfigException.class)
                .hasMessage(f + ": passive-ports: '70000-70100' (expected LO-HI with 1024 <= LO <= HI <= 65535)");
        Path g = yaml("limits:\n  max-line-length: 10\n");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(g), CliOverrides.NONE))
                .hasMessage(g + ": limits.max-line-length: '10' (expected a whole number from 64 to 65536)");
        Path h = yaml("lsten: 0.0.0.0:21\n");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(h), CliOverrides.NONE))
                .hasMessageStartingWith(h + ": lsten: '\"0.0.0.0:21\"' (unknown key; known keys here:");
        Path i = yaml("public-address: ftp.example.com\n");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(i), CliOverrides.NONE))
                .hasMessage(i + ": public-address: 'ftp.example.com' (expected an IPv4 or IPv6 address literal)");
        Path j = yaml("data: {backend-mode: sideways}\n");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(j), CliOverrides.NONE))
                .hasMessage(j + ": data.backend-mode: 'sideways' (expected one of [passive, active])");
        Path k = yaml("timeouts: {idle: soon}\n");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(k), CliOverrides.NONE))
                .hasMessageContaining("timeouts.idle: 'soon'");
    }

    @Test
    void flagErrorsNameTheFlag() {
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), new CliOverrides(List.of("localhost"), null, null, null)))
                .hasMessageStartingWith("--listen: 'localhost' (expected HOST:PORT");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), new CliOverrides(List.of(), "host:99999", null, null)))
                .hasMessage("--backend: 'host:99999' (expected a port number 1-65535 after ':')");
    }

    @Test
    void tlsSectionAndItsStrictDefaults() throws Exception {
        Path cert = Files.writeString(dir.resolve("c.pem"), "x");
        Path key = Files.writeString(dir.resolve("k.pem"), "x");
        ProxyConfig c = ConfigLoader.load(Optional.of(yaml("listen: [\"127.0.0.1:2121\", \"127.0.0.1:2122\"]\n"
                + "tls:\n  cert: " + cert + "\n  key: " + key + "\n  implicit-listen: 127.0.0.1:990\n"
                + "  listeners:\n    - {address: \"127.0.0.1:2122\", policy: optional, data-protection: any}\n"
                + "backend-tls: {mode: explicit, fingerprint: \"" + "AB:".repeat(31) + "AB\"}\n")), CliOverrides.NONE);
        assertThat(c.tls().policy()).isEqualTo(TlsConfig.Policy.REQUIRED);
        assertThat(c.tls().dataProtection()).isEqualTo(TlsConfig.DataProtection.PRIVATE_REQUIRED);
        assertThat(c.tls().implicitListen()).containsExactly(new InetSocketAddress("127.0.0.1", 990));
        assertThat(c.tls().policyFor(new InetSocketAddress("127.0.0.1", 2122)).policy()).isEqualTo(TlsConfig.Policy.OPTIONAL);
        assertThat(c.tls().policyFor(new InetSocketAddress("127.0.0.1", 2121)).policy()).isEqualTo(TlsConfig.Policy.REQUIRED);
        assertThat(c.backendTls().fingerprint()).contains("ab".repeat(32));

        assertThat(ConfigLoader.load(Optional.empty(), CliOverrides.NONE).tls().enabled()).isFalse();
        Path onlyCert = yaml("tls: {cert: " + cert + "}\n");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(onlyCert), CliOverrides.NONE))
                .hasMessageContaining("tls.key (--tls-key): missing");
        Path noCert = yaml("tls: {policy: required}\n");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(noCert), CliOverrides.NONE))
                .hasMessageContaining("tls.policy: 'required'").hasMessageContaining("tls.cert and tls.key");
        Path missingFile = yaml("tls: {cert: /nonexistent.pem, key: " + key + "}\n");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(missingFile), CliOverrides.NONE))
                .hasMessage(missingFile + ": tls.cert: '/nonexistent.pem' (expected a readable file)");
        Path badListener = yaml("tls:\n  cert: " + cert + "\n  key: " + key + "\n  listeners: [{address: \"127.0.0.1:9\"}]\n");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(badListener), CliOverrides.NONE))
                .hasMessageContaining("tls.listeners.0.address: '127.0.0.1:9' (expected one of the listen addresses");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), new CliOverrides(List.of(), null, null, null, null, null, null,
                List.of(), null, null, "sideways", null, null, false, null, null, null)))
                .hasMessage("--backend-tls: 'sideways' (expected one of [off, explicit, implicit])");
    }

    @Test
    void edgeFlags() throws Exception {
        ProxyConfig c = ConfigLoader.load(Optional.empty(), new CliOverrides(List.of(), null, null, null, null, null, null,
                List.of(), null, null, null, null, null, true, "5", "3", "1h"));
        assertThat(c.limits().maxSessionsPerIp()).isEqualTo(5);
        assertThat(c.commands().banAfterFailures()).isEqualTo(3);
        assertThat(c.commands().banTime()).isEqualTo(java.time.Duration.ofHours(1));
        assertThat(c.proxyProtocol().accept()).isTrue();
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), new CliOverrides(List.of(), null, null, null, null, null, null,
                List.of(), null, null, null, null, null, false, "0", null, null)))
                .hasMessage("--max-sessions-per-ip: '0' (expected a whole number from 1 to 1000000)");
    }

    @Test
    void unreadableOrBrokenFiles() throws Exception {
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(dir.resolve("missing.yaml")), CliOverrides.NONE))
                .hasMessageContaining("missing.yaml: cannot read");
        Path bad = yaml("listen: [unclosed\n");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(bad), CliOverrides.NONE))
                .hasMessageContaining("not valid YAML");
    }
}
