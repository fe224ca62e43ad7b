package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.config.AdminConfig;
import dev.portcullis.config.AuditConfig;
import dev.portcullis.testing.DataMode;
import dev.portcullis.testing.Digests;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.ProxyHarness;
import dev.portcullis.testing.Scrape;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Metrics, health endpoints and audit logs, checked against a known session. */
class OperationsIT {

    @TempDir
    Path root;
    @TempDir
    Path logs;

    private ProxyHarness start() throws Exception {
        AuditConfig audit = new AuditConfig(Optional.of(logs.resolve("xferlog")), Optional.of(logs.resolve("events.jsonl")),
                "10MB", 7, "1GB");
        AdminConfig admin = new AdminConfig(Optional.of(new InetSocketAddress("127.0.0.1", 0)), Duration.ofSeconds(30));
        return ProxyHarness.start(root, c -> c.withAudit(audit).withAdmin(admin));
    }

    @Test
    void countersMoveByExactlyWhatOneSessionDid() throws Exception {
        byte[] down = Digests.randomBytes(1_234_567, 1);
        byte[] up = Digests.randomBytes(765_432, 2);
        try (ProxyHarness h = start()) {
            h.write("down.bin", down);
            InetSocketAddress admin = h.proxy().adminAddress();
            ProxyHarness.awaitTrue(Duration.ofSeconds(5), () -> {
                try {
                    return Scrape.get(admin, "/readyz").statusCode() == 200;
                } catch (Exception e) {
                    return false;
                }
            });
            assertThat(Scrape.get(admin, "/healthz").statusCode()).isEqualTo(200);
            assertThat(Scrape.get(admin, "/readyz").statusCode()).isEqualTo(200);
            Scrape before = Scrape.metrics(admin);

            try (FtpTestClient c = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD)) {
                c.command("TYPE I");
                assertThat(DataMode.PASV.download(c, "RETR down.bin")).isEqualTo(down);
                assertThat(DataMode.EPRT.upload(c, "STOR up.bin", up).code()).isEqualTo(226);
                assertThat(c.command("PORT 127,0,0,2,200,1").code()).isEqualTo(500);
                c.command("QUIT");
            }
            try (FtpTestClient bad = FtpTestClient.connect(h.proxyAddress())) {
                bad.readReply();
                bad.command("USER " + ProxyHarness.USER);
                assertThat(bad.command("PASS wrong").code()).isEqualTo(530);
            }
            h.assertQuiescent();
            Scrape after = Scrape.metrics(admin);

            assertThat(after.value("portcullis_transfers_total", "direction", "download", "mode", "passive", "outcome", "ok")
                    - before.value("portcullis_transfers_total", "direction", "download", "mode", "passive", "outcome", "ok")).isEqualTo(1);
            assertThat(after.value("portcullis_transfers_total", "direction", "upload", "mode", "active", "outcome", "ok")
                    - before.value("portcullis_transfers_total", "direction", "upload", "mode", "active", "outcome", "ok")).isEqualTo(1);
            assertThat(after.value("portcullis_data_bytes_total", "direction", "backend_to_client")
                    - before.value("portcullis_data_bytes_total", "direction", "backend_to_client")).isEqualTo(down.length);
            assertThat(after.value("portcullis_data_bytes_total", "direction", "client_to_backend")
                    - before.value("portcullis_data_bytes_total", "direction", "client_to_backend")).isEqualTo(up.length);
            assertThat(after.value("portcullis_blocked_total", "reason", "bounce")
                    - before.value("portcullis_blocked_total", "reason", "bounce")).isEqualTo(1);
            assertThat(after.value("portcullis_rewrites_total", "kind", "pasv") - before.value("portcullis_rewrites_total", "kind", "pasv")).isEqualTo(1);
            assertThat(after.value("portcullis_rewrites_total", "kind", "eprt") - before.value("portcullis_rewrites_total", "kind", "eprt")).isEqualTo(1);
            assertThat(after.value("portcullis_sessions_total", "outcome", "opened") - before.value("portcullis_sessions_total", "outcome", "opened")).isEqualTo(2);
            assertThat(after.value("portcullis_sessions_total", "outcome", "quit") - before.value("portcullis_sessions_total", "outcome", "quit")).isEqualTo(1);
            assertThat(after.value("portcullis_sessions_total", "outcome", "client_closed")
                    - before.value("portcullis_sessions_total", "outcome", "client_closed")).isEqualTo(1);
            assertThat(after.value("portcullis_sessions_active")).isZero();
            assertThat(after.value("portcullis_data_ports_capacity")).isEqualTo(300);
            assertThat(after.value("portcullis_data_ports_in_use")).isZero();
            assertThat(after.value("portcullis_backend_up", "backend", "127.0.0.1:" + h.backendPort())).isEqualTo(1);
            assertThat(after.value("portcullis_command_added_latency_seconds_count")).isGreaterThan(before.value("portcullis_command_added_latency_seconds_count"));
            assertThat(after.value("portcullis_backend_connect_seconds_count", "outcome", "ok")
                    - before.value("portcullis_backend_connect_seconds_count", "outcome", "ok")).isEqualTo(2);
            assertThat(after.has("jvm_memory_used_bytes")).isTrue();
            assertThat(after.has("portcullis_netty_allocator_direct_used_bytes")).isTrue();

            // The Grafana dashboard only charts meters that exist.
            String dashboard = Files.readString(Path.of("deploy", "grafana", "portcullis-dashboard.json"));
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("portcullis_[a-z_]+").matcher(dashboard);
            while (m.find()) {
                String name = m.group().replaceAll("_(bucket|count|sum)$", "");
                assertThat(after.has(name) || after.has(name + "_bucket") || after.has(name + "_count"))
                        .as("dashboard meter " + m.group()).isTrue();
            }

            // No unbounded tag values: no client address, user or path anywhere in the scrape (the
            // backend tag names configured backends, bounded by the config; those lines are left out).
            String text = Scrape.get(admin, "/metrics").body().lines().filter(l -> !l.contains("backend=\""))
                    .collect(java.util.stream.Collectors.joining("\n"));
            assertThat(text).doesNotContain("127.0.0.1").doesNotContain(ProxyHarness.USER).doesNotContain("down.bin");
        }
    }

    @Test
    void auditLinesMatchTheSessionFieldByField() throws Exception {
        byte[] down = Digests.randomBytes(4321, 3);
        try (ProxyHarness h = start()) {
            h.write("dir/report one.txt", down);
            try (FtpTestClient c = FtpTestClient.login(h.proxyAddress(), ProxyHarness.USER, ProxyHarness.PASSWORD)) {
                c.command("TYPE I");
                assertThat(DataMode.EPSV.download(c, "RETR dir/report one.txt")).isEqualTo(down);
                c.command("EPRT |1|127.0.0.3|40000|");
                c.command("QUIT");
            }
            h.assertQuiescent();
        }
        List<String> xfer = Files.readAllLines(logs.resolve("xferlog"));
        assertThat(xfer).hasSize(1);
        String[] f = xfer.get(0).split(" ");
        // Mon Nov 23 16:54:21 2026 1 127.0.0.1 4321 dir/report_one.txt b _ o r alice ftp 0 * c
        assertThat(f).hasSize(18);
        assertThat(f[4]).matches("20\\d\\d");
        assertThat(f[5]).isEqualTo("1");
        assertThat(f[6]).isEqualTo("127.0.0.1");
        assertThat(f[7]).isEqualTo("4321");
        assertThat(f[8]).isEqualTo("dir/report_one.txt");
        assertThat(List.of(f).subList(9, 18)).containsExactly("b", "_", "o", "r", ProxyHarness.USER, "ftp", "0", "*", "c");

        ObjectMapper json = new ObjectMapper();
        List<JsonNode> events = new ArrayList<>();
        for (String line : Files.readAllLines(logs.resolve("events.jsonl"))) {
            events.add(json.readTree(line));
        }
        assertThat(events).extracting(e -> e.get("event").asText()).containsExactly("connect", "login", "transfer", "blocked", "close");
        String session = events.get(0).get("session").asText();
        assertThat(events).allSatisfy(e -> {
            assertThat(e.get("session").asText()).isEqualTo(session);
            assertThat(e.get("client").asText()).isEqualTo("127.0.0.1");
            assertThat(e.get("time").asText()).isNotEmpty();
        });
        assertThat(events.get(1).get("user").asText()).isEqualTo(ProxyHarness.USER);
        JsonNode t = events.get(2);
        assertThat(t.get("path").asText()).isEqualTo("dir/report one.txt");
        assertThat(t.get("bytes").asLong()).isEqualTo(4321);
        assertThat(t.get("direction").asText()).isEqualTo("download");
        assertThat(t.get("mode").asText()).isEqualTo("passive");
        assertThat(t.get("tls").asBoolean()).isFalse();
        assertThat(t.get("complete").asBoolean()).isTrue();
        assertThat(t.get("reply").asInt()).isEqualTo(226);
        assertThat(events.get(3).get("reason").asText()).isEqualTo("bounce");
        assertThat(events.get(4).get("outcome").asText()).isEqualTo("quit");
        String all = Files.readString(logs.resolve("events.jsonl")) + Files.readString(logs.resolve("xferlog"));
        assertThat(all).doesNotContain(ProxyHarness.PASSWORD);
    }

    @Test
    void readyzFailsWhileTheBackendIsDown() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        AdminConfig admin = new AdminConfig(Optional.of(new InetSocketAddress("127.0.0.1", 0)), Duration.ofSeconds(30));
        try (dev.portcullis.PortcullisServer p = new dev.portcullis.PortcullisServer(ProxyHarness.fastHealthChecks(ProxyHarness.baseConfig(closed)).withAdmin(admin)).start()) {
            ProxyHarness.eventually(Duration.ofSeconds(5), () -> {
                var r = Scrape.get(p.adminAddress(), "/readyz");
                assertThat(r.statusCode()).isEqualTo(503);
                assertThat(r.body()).contains("not ready").contains("backend 127.0.0.1:" + closed + ": DOWN");
            });
            assertThat(Scrape.get(p.adminAddress(), "/healthz").statusCode()).isEqualTo(200);
            assertThat(Scrape.metrics(p.adminAddress()).value("portcullis_backend_up", "backend", "127.0.0.1:" + closed)).isZero();
            assertThat(Scrape.metrics(p.adminAddress()).value("portcullis_backend_sessions", "backend", "127.0.0.1:" + closed)).isZero();
        }
    }
}
