package dev.portcullis.config;

import dev.portcullis.config.BackendPoolConfig.Balance;
import dev.portcullis.config.BackendPoolConfig.UserRoute;
import java.util.List;


/**
 * The rules that span keys or need more than one value's syntax, checked on the bound
 * configuration: certificate and key together, a TLS policy only with them, per-user balancing
 * only with routes, what kernel-forwarded data cannot be combined with, and so on. The first rule
 * broken is the error, named by file, key and value like a binding error.
 */
final class ConfigValidator {

    private final String source;
    private final FlagOverlay flags;

    private ConfigValidator(String source, FlagOverlay flags) {
        this.source = source;
        this.flags = flags;
    }

    static void check(ProxyConfig c, String source, FlagOverlay flags) throws ConfigException {
        ConfigValidator v = new ConfigValidator(source, flags);
        v.pool(c.backends());
        v.commands(c.commands());
        v.tls(c.tls(), c.listen());
        v.admin(c.admin());
        v.transparent(c);
        v.kernelNat(c);
    }

    private void pool(BackendPoolConfig b) throws ConfigException {
        for (int i = 0; i < b.userRoutes().size(); i++) {
            UserRoute r = b.userRoutes().get(i);
            if (r.user() == null) {
                fail("user-routes." + i + ".user", "", "expected a regular expression for USER names, e.g. \"^(alice|bob)$\" or \".*\"");
            }
            if (r.backends().isEmpty()) {
                fail("user-routes." + i + ".backend", "", "expected HOST:PORT or a list of them");
            }
        }
        if (b.balance() == Balance.PER_USER && b.userRoutes().isEmpty()) {
            fail("user-routes", "[]", "balance per-user needs user-routes (a route with user: \".*\" is the default)");
        }
        if (b.balance() != Balance.PER_USER && !b.userRoutes().isEmpty()) {
            fail("balance", ConfigValues.spelling(b.balance()), "user-routes are only used with balance: per-user");
        }
        if (b.balance() != Balance.PER_USER && b.backends().isEmpty() && flags.sets("balance")) {
            throw new ConfigException("--balance: '" + ConfigValues.spelling(b.balance()) + "' (needs at least one --backend)");
        }
        HealthCheckConfig h = b.healthCheck();
        if (h.user().isPresent() != h.password().isPresent()) {
            fail(h.user().isPresent() ? "health-check.password" : "health-check.user", "",
                    "a login probe needs both health-check.user and health-check.password");
        }
    }

    private void commands(CommandRules rules) throws ConfigException {
        commandList("policy.deny-commands", rules.denyCommands(), "DELE");
        commandList("policy.allow-commands", rules.allowCommands(), "RETR");
    }

    private void commandList(String key, List<String> commands, String example) throws ConfigException {
        for (String command : commands) {
            if (command.isBlank() || command.strip().split("\\s+").length > 2) {
                fail(key, command, "expected a verb or a verb and one word, such as " + example + " or \"SITE "
                        + (example.equals("DELE") ? "EXEC" : "CHMOD") + "\"");
            }
        }
    }

    private void tls(TlsConfig tls, List<java.net.InetSocketAddress> listen) throws ConfigException {
        boolean haveCert = tls.cert().isPresent() && tls.key().isPresent();
        if (tls.cert().isPresent() != tls.key().isPresent()) {
            String missing = tls.cert().isPresent() ? "tls.key (--tls-key)" : "tls.cert (--tls-cert)";
            throw new ConfigException(source + ": " + missing + ": missing (expected: a certificate and its key together)");
        }
        if (!haveCert && (tls.policy() != TlsConfig.Policy.OFF || !tls.implicitListen().isEmpty())) {
            throw new ConfigException(source + ": tls.policy: '" + ConfigValues.spelling(tls.policy()) + "'"
                    + (tls.implicitListen().isEmpty() ? "" : " with tls.implicit-listen")
                    + " (expected: tls.cert and tls.key (--tls-cert, --tls-key) to be set)");
        }
        if (tls.policy() == TlsConfig.Policy.OFF && tls.dataProtection() == TlsConfig.DataProtection.PRIVATE_REQUIRED) {
            throw new ConfigException(source + ": tls.data-protection: 'private-required' (expected: 'any' when tls.policy is 'off')");
        }
        for (int i = 0; i < tls.perListener().size(); i++) {
            TlsConfig.ListenerPolicy p = tls.perListener().get(i);
            String k = "tls.listeners." + i;
            if (p.address() == null) {
                fail(k + ".address", "", "expected HOST:PORT (IPv6 as [ADDR]:PORT)");
            }
            if (!listen.contains(p.address())) {
                throw new ConfigException(source + ": " + k + ".address: '" + dev.portcullis.net.Addresses.format(p.address())
                        + "' (expected one of the listen addresses " + listen + ")");
            }
            if (p.policy() != TlsConfig.Policy.OFF && !haveCert) {
                throw new ConfigException(source + ": " + k + ".policy: '" + ConfigValues.spelling(p.policy())
                        + "' (expected: tls.cert and tls.key to be set)");
            }
        }
    }

    private void admin(AdminConfig admin) throws ConfigException {
        if (admin.token().isPresent() && (admin.token().get().length() < 16 || !admin.token().get().matches("[\\x21-\\x7e]+"))) {
            fail("admin.token", "****", "expected at least 16 printable characters, no spaces");
        }
    }

    private void transparent(ProxyConfig c) throws ConfigException {
        TransparentConfig t = c.transparent();
        if (t.enabled() && t.allowDestinations().isEmpty()) {
            fail("transparent.allow-destinations", "[]", "transparent mode needs the networks its FTP servers may be in, e.g. [203.0.113.0/24]");
        }
        if (t.enabled() && !c.backends().isDemo()) {
            fail("backend", c.backends().allBackends().toString(), "transparent mode relays to each connection's original destination; remove backend");
        }
    }

    private void kernelNat(ProxyConfig c) throws ConfigException {
        KernelNatConfig nat = c.data().kernelNat();
        if (!nat.enabled()) {
            return;
        }
        try {
            ConfigValues.executableFile(nat.nft().toString());
        } catch (IllegalArgumentException e) {
            fail("data.kernel-nat-nft", nat.nft().toString(), e.getMessage());
        }
        // Data the kernel forwards never passes through the proxy: what needs to see or shape it
        // cannot be combined with it.
        Limits limits = c.limits();
        String why = limits.bandwidthPerSession() > 0 || limits.bandwidthTotal() > 0 ? "limits.bandwidth-* (the kernel does not pace data)"
                : c.proxyProtocol().accept() ? "proxy-protocol.accept (data connections carry a PROXY header only the relay can read)"
                : c.transparent().enabled() ? "transparent mode" : null;
        if (why != null) {
            fail("data.kernel-nat", "true", "kernel-forwarded data cannot be combined with " + why);
        }
    }

    private void fail(String key, String value, String expected) throws ConfigException {
        String where = flags.flagFor(key).orElse(source + ": " + key);
        throw new ConfigException(where + ": '" + value + "' (" + expected + ")");
    }

}
