package dev.portcullis.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The effective config is a config file: every key it writes is a known one, and it loads to itself. */
class EffectiveConfigTest {

    @TempDir
    Path dir;

    private static final CliOverrides NO_FLAGS = new CliOverrides(List.of(), null, null, null);

    @Test
    void aRichConfigRoundTripsThroughItsRendering() throws Exception {
        Path f = dir.resolve("rich.yaml");
        Files.writeString(f, String.join("\n",
                "listen: [\"127.0.0.1:2121\", \"[::1]:2121\"]",
                "backend: [\"192.0.2.10:21\", \"192.0.2.11:2121\"]",
                "balance: least-connections",
                "health-check: {interval: 2s, timeout: 500ms, rise: 3, fall: 2, user: probe, password: secret}",
                "passive-ports: 40000-40099",
                "public-address: 203.0.113.7",
                "timeouts: {idle: 10m, backend-reply: 45s}",
                "limits: {max-sessions: 100, bandwidth-per-session: 10MiB/s}",
                "data: {allow-privileged-ports: true, backend-mode: active, backend-active-source: 198.51.100.2, zero-copy: false}",
                "admin: {listen: \"off\", drain-timeout: 5s}",
                "policy: {deny-commands: [DELE, \"SITE EXEC\"], ban-after-failures: 3, strict-protocol: true}",
                "proxy-protocol: {accept: true, data-peer-check: \"off\", send-to-backend: v2}",
                ""));
        ProxyConfig once = ConfigLoader.load(Optional.of(f), NO_FLAGS);
        String rendered = EffectiveConfig.render(once);
        assertThat(rendered).doesNotContain("secret").contains("password: \"****\"");
        Path again = dir.resolve("again.yaml");
        Files.writeString(again, rendered);
        ProxyConfig twice = ConfigLoader.load(Optional.of(again), NO_FLAGS);
        assertThat(EffectiveConfig.render(twice)).isEqualTo(rendered);
        assertThat(twice.limits()).isEqualTo(once.limits());
        assertThat(twice.data()).isEqualTo(once.data());
        assertThat(twice.timeouts()).isEqualTo(once.timeouts());
        assertThat(twice.proxyProtocol()).isEqualTo(once.proxyProtocol());
        assertThat(twice.listen()).isEqualTo(once.listen());
    }

    @Test
    void everyKeyWrittenIsAKnownKey() throws Exception {
        String rendered = EffectiveConfig.render(ConfigLoader.load(Optional.empty(), NO_FLAGS));
        TreeSet<String> written = new TreeSet<>();
        String section = null;
        Matcher m = Pattern.compile("^( *)([a-z-]+):").matcher("");
        for (String line : rendered.lines().toList()) {
            if (!m.reset(line).find()) {
                continue;
            }
            if (m.group(1).isEmpty()) {
                section = m.group(2);
                written.add(section);
            } else {
                written.remove(section);
                written.add(section + "." + m.group(2));
            }
        }
        assertThat(ConfigLoader.knownKeys()).containsAll(written);
    }
}
