package dev.portcullis.config;

import dev.portcullis.net.Addresses;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * The configuration in force, written back as the config file's own YAML (every key, defaults
 * included), for {@code portcullis --check-config}: what an operator reads to see what a file
 * and its flags amount to. Loading the output gives the same configuration again, but for the
 * secrets: the health-check password is written as {@code "****"}, the admin token not at all.
 */
public final class EffectiveConfig {

    private final StringBuilder out = new StringBuilder();

    private EffectiveConfig() {
    }

    public static String render(ProxyConfig c) {
        EffectiveConfig y = new EffectiveConfig();
        y.list(0, "listen", c.listen(), Addresses::format);
        BackendPoolConfig b = c.backends();
        y.list(0, "backend", b.backends(), Object::toString);
        y.put(0, "balance", name(b.balance()));
        if (!b.userRoutes().isEmpty()) {
            y.out.append("user-routes:\n");
            for (BackendPoolConfig.UserRoute r : b.userRoutes()) {
                y.out.append("  - user: ").append(quote(r.user().pattern())).append('\n');
                y.list(4, "backend", r.backends(), Object::toString);
            }
        }
        HealthCheckConfig h = b.healthCheck();
        y.section("health-check");
        y.put(2, "enabled", h.enabled());
        y.put(2, "interval", duration(h.interval()));
        y.put(2, "timeout", duration(h.timeout()));
        y.put(2, "rise", h.rise());
        y.put(2, "fall", h.fall());
        y.put(2, "auth-tls", h.authTls());
        y.optional(2, "user", h.user());
        y.optional(2, "password", h.password().map(p -> "****"));
        y.put(0, "passive-ports", quote(c.passivePorts().toString()));
        y.optional(0, "public-address", c.publicAddress().map(InetAddress::getHostAddress));
        Timeouts t = c.timeouts();
        y.section("timeouts");
        y.put(2, "idle", duration(t.idle()));
        y.put(2, "data-connect", duration(t.dataConnect()));
        y.put(2, "backend-connect", duration(t.backendConnect()));
        y.put(2, "expectation", duration(t.expectation()));
        y.put(2, "backend-reply", duration(t.backendReply()));
        y.put(2, "login", duration(t.login()));
        Limits l = c.limits();
        y.section("limits");
        y.put(2, "max-line-length", l.maxLineLength());
        y.put(2, "max-bad-lines", l.maxBadLines());
        y.put(2, "max-reply-lines", l.maxReplyLines());
        y.put(2, "max-sessions", l.maxSessions());
        y.put(2, "max-sessions-per-ip", l.maxSessionsPerIp());
        y.put(2, "max-data-ports-per-session", l.maxDataPortsPerSession());
        y.put(2, "max-data-ports-per-ip", l.maxDataPortsPerIp());
        y.put(2, "max-transfers-per-session", l.maxTransfersPerSession());
        y.put(2, "bandwidth-per-session", quote(l.bandwidthPerSession() + "/s"));
        y.put(2, "bandwidth-total", quote(l.bandwidthTotal() + "/s"));
        y.put(2, "ipv6-prefix", l.ipv6Prefix());
        DataPolicy d = c.data();
        y.section("data");
        y.put(2, "allow-foreign-address", d.allowForeignAddress());
        y.put(2, "allow-privileged-ports", d.allowPrivilegedPorts());
        y.put(2, "active-source-port", d.activeSourcePort());
        y.put(2, "backend-mode", name(d.backendMode()));
        y.optional(2, "backend-active-source", d.backendActiveSource().map(InetAddress::getHostAddress));
        y.put(2, "backend-pasv-address", name(d.backendPasvAddress()));
        y.put(2, "zero-copy", d.zeroCopy());
        y.put(2, "splice-pipe-size", quote(Integer.toString(d.splicePipeSize())));
        y.put(2, "splice-pipe-budget", quote(Long.toString(d.splicePipeBudget())));
        y.put(2, "kernel-nat", d.kernelNat().enabled());
        y.put(2, "kernel-nat-nft", quote(d.kernelNat().nft().toString()));
        y.put(2, "kernel-nat-table", quote(d.kernelNat().table()));
        TlsConfig tls = c.tls();
        y.section("tls");
        y.optional(2, "cert", tls.cert().map(Object::toString));
        y.optional(2, "key", tls.key().map(Object::toString));
        y.optional(2, "client-ca", tls.clientCa().map(Object::toString));
        y.put(2, "policy", name(tls.policy()));
        y.put(2, "data-protection", name(tls.dataProtection()));
        y.put(2, "require-session-reuse", tls.requireSessionReuse());
        y.list(2, "implicit-listen", tls.implicitListen(), Addresses::format);
        y.list(2, "ciphers", tls.ciphers(), Function.identity());
        y.put(2, "provider", name(tls.provider()));
        y.put(2, "handshake-timeout", duration(tls.handshakeTimeout()));
        if (!tls.perListener().isEmpty()) {
            y.out.append("  listeners:\n");
            for (TlsConfig.ListenerPolicy p : tls.perListener()) {
                y.out.append("    - address: ").append(quote(Addresses.format(p.address()))).append('\n');
                y.put(6, "policy", name(p.policy()));
                y.put(6, "data-protection", name(p.dataProtection()));
            }
        }
        BackendTlsConfig bt = c.backendTls();
        y.section("backend-tls");
        y.put(2, "mode", name(bt.mode()));
        y.optional(2, "ca", bt.ca().map(Object::toString));
        y.optional(2, "fingerprint", bt.fingerprint());
        y.put(2, "insecure", bt.insecure());
        AuditConfig a = c.audit();
        y.section("audit");
        y.optional(2, "xferlog", a.xferlog().map(Object::toString));
        y.optional(2, "events", a.events().map(Object::toString));
        y.put(2, "max-file-size", quote(a.maxFileSize()));
        y.put(2, "max-history", a.maxHistory());
        y.put(2, "total-size-cap", quote(a.totalSizeCap()));
        y.section("admin");
        y.put(2, "listen", quote(c.admin().listen().map(Addresses::format).orElse("off")));
        y.put(2, "drain-timeout", duration(c.admin().drainTimeout()));
        c.admin().token().ifPresent(secret -> y.out.append("  # token: set (a secret: not printed)\n"));
        CommandRules p = c.commands();
        y.section("policy");
        y.list(2, "deny-commands", p.denyCommands(), Function.identity());
        y.put(2, "deny-anonymous", p.denyAnonymous());
        y.put(2, "ban-after-failures", p.banAfterFailures());
        y.put(2, "ban-window", duration(p.banWindow()));
        y.put(2, "ban-time", duration(p.banTime()));
        y.optional(2, "ban-file", p.banFile().map(Object::toString));
        y.put(2, "strict-protocol", p.strictProtocol());
        y.list(2, "allow-commands", p.allowCommands(), Function.identity());
        ProxyProtocolConfig pp = c.proxyProtocol();
        y.section("proxy-protocol");
        y.put(2, "accept", pp.accept());
        y.put(2, "data-peer-check", name(pp.dataPeerCheck()));
        y.put(2, "send-to-backend", name(pp.sendToBackend()));
        y.list(2, "trusted-balancers", pp.trustedBalancers(), Object::toString);
        TransparentConfig tr = c.transparent();
        y.section("transparent");
        y.put(2, "mode", name(tr.mode()));
        y.list(2, "allow-destinations", tr.allowDestinations(), Object::toString);
        y.put(2, "spoof-client-address", tr.spoofClient());
        return y.out.toString();
    }

    private void section(String name) {
        out.append(name).append(":\n");
    }

    private void put(int indent, String key, Object value) {
        out.append(" ".repeat(indent)).append(key).append(": ").append(value).append('\n');
    }

    private void optional(int indent, String key, Optional<String> value) {
        value.ifPresent(v -> put(indent, key, quote(v)));
    }

    /** An empty list is left out: the key's default (an empty list is no valid value of it). */
    private <T> void list(int indent, String key, List<T> values, Function<T, String> text) {
        if (values.isEmpty()) {
            return;
        }
        List<String> items = new ArrayList<>();
        values.forEach(v -> items.add(quote(text.apply(v))));
        put(indent, key, "[" + String.join(", ", items) + "]");
    }

    /** Quoted: YAML 1.1 reads a bare off, on, yes or no as a boolean. */
    private static String name(Enum<?> e) {
        return quote(e.name().toLowerCase(Locale.ROOT).replace('_', '-'));
    }

    private static String duration(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    /** A YAML double-quoted scalar (JSON's escapes are YAML's). */
    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (ch < 0x20) {
                        b.append(String.format("\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
