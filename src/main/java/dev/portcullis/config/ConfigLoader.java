package dev.portcullis.config;

import dev.portcullis.net.HostAndPort;
import dev.portcullis.net.Cidr;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.portcullis.config.DataPolicy.BackendDataMode;
import dev.portcullis.config.DataPolicy.BackendPasvAddress;
import dev.portcullis.ftp.ExtendedHostPort;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads the YAML file and the command-line overrides into a validated {@link ProxyConfig}. Every
 * error names where it came from (file or flag), the key, the value and what was expected; unknown
 * keys are errors, so a typo never silently falls back to a default.
 */
public final class ConfigLoader {

    public static final String DEFAULT_LISTEN = "127.0.0.1:2121";
    public static final String DEFAULT_PASSIVE_PORTS = "50000-50999";

    private static final Set<String> TOP_KEYS = Set.of(
            "listen", "backend", "balance", "user-routes", "health-check", "passive-ports", "public-address", "timeouts", "limits", "data",
            "tls", "backend-tls", "audit", "admin", "policy", "proxy-protocol", "transparent");
    private static final Set<String> HEALTH_CHECK_KEYS = Set.of("enabled", "interval", "timeout", "rise", "fall", "auth-tls", "user", "password");
    private static final Set<String> USER_ROUTE_KEYS = Set.of("user", "backend");
    private static final Set<String> TRANSPARENT_KEYS = Set.of("mode", "allow-destinations", "spoof-client-address");
    private static final Set<String> PROXY_PROTOCOL_KEYS = Set.of("accept", "data-peer-check", "send-to-backend");
    private static final Set<String> POLICY_KEYS = Set.of("deny-commands", "deny-anonymous",
            "ban-after-failures", "ban-window", "ban-time", "ban-file", "strict-protocol", "allow-commands");
    private static final Set<String> AUDIT_KEYS = Set.of("xferlog", "events", "max-file-size", "max-history", "total-size-cap");
    private static final Set<String> ADMIN_KEYS = Set.of("listen", "drain-timeout", "token");
    private static final Set<String> TLS_KEYS = Set.of("cert", "key", "client-ca", "policy", "data-protection",
            "require-session-reuse", "implicit-listen", "ciphers", "provider", "handshake-timeout", "listeners");
    private static final Set<String> LISTENER_KEYS = Set.of("address", "policy", "data-protection");
    private static final Set<String> BACKEND_TLS_KEYS = Set.of("mode", "ca", "fingerprint", "insecure");
    private static final Set<String> TIMEOUT_KEYS = Set.of("idle", "data-connect", "backend-connect", "expectation", "backend-reply");
    private static final Set<String> LIMIT_KEYS = Set.of("max-line-length", "max-bad-lines", "max-reply-lines",
            "max-sessions", "max-sessions-per-ip", "max-data-ports-per-session", "max-data-ports-per-ip", "max-transfers-per-session",
            "bandwidth-per-session", "bandwidth-total");
    private static final Set<String> DATA_KEYS = Set.of(
            "allow-foreign-address", "allow-privileged-ports", "active-source-port",
            "backend-mode", "backend-active-source", "backend-pasv-address", "zero-copy",
            "splice-pipe-size", "splice-pipe-budget", "kernel-nat", "kernel-nat-nft", "kernel-nat-table");

    private ConfigLoader() {
    }

    /** Every key the config file accepts, dotted ({@code tls.listeners[].policy} for list items). */
    public static java.util.SortedSet<String> knownKeys() {
        java.util.SortedSet<String> keys = new java.util.TreeSet<>();
        for (String k : TOP_KEYS) {
            Set<String> sub = switch (k) {
                case "timeouts" -> TIMEOUT_KEYS;
                case "limits" -> LIMIT_KEYS;
                case "data" -> DATA_KEYS;
                case "tls" -> TLS_KEYS;
                case "backend-tls" -> BACKEND_TLS_KEYS;
                case "audit" -> AUDIT_KEYS;
                case "admin" -> ADMIN_KEYS;
                case "policy" -> POLICY_KEYS;
                case "proxy-protocol" -> PROXY_PROTOCOL_KEYS;
                case "health-check" -> HEALTH_CHECK_KEYS;
                case "transparent" -> TRANSPARENT_KEYS;
                case "user-routes" -> USER_ROUTE_KEYS;
                default -> Set.of();
            };
            if (sub.isEmpty()) {
                keys.add(k);
            }
            for (String s : sub) {
                if (k.equals("user-routes")) {
                    keys.add("user-routes[]." + s);
                } else if (k.equals("tls") && s.equals("listeners")) {
                    for (String item : LISTENER_KEYS) {
                        keys.add("tls.listeners[]." + item);
                    }
                } else {
                    keys.add(k + "." + s);
                }
            }
        }
        return keys;
    }

    public static ProxyConfig load(Optional<Path> file, CliOverrides cli) throws ConfigException {
        JsonNode root = file.isPresent() ? readYaml(file.get()) : null;
        String src = file.map(Path::toString).orElse("(defaults)");
        Reader r = new Reader(src, root == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : root);
        r.checkKeys("", TOP_KEYS);

        List<String> listenText = !cli.listen().isEmpty() ? cli.listen() : r.stringList("listen", List.of(DEFAULT_LISTEN));
        String listenSource = !cli.listen().isEmpty() ? "--listen" : src + ": listen";
        List<InetSocketAddress> listen = new ArrayList<>();
        for (String l : listenText) {
            listen.add(parse(listenSource, l, ConfigLoader::listenAddress));
        }

        BackendPoolConfig backends = backends(r, cli);

        PortRange passive = cli.passivePorts() != null
                ? parse("--passive-ports", cli.passivePorts(), PortRange::parse)
                : r.parse("passive-ports", r.string("passive-ports", DEFAULT_PASSIVE_PORTS), PortRange::parse);

        Optional<InetAddress> publicAddress = cli.publicAddress() != null
                ? Optional.of(parse("--public-address", cli.publicAddress(), ConfigLoader::ipLiteral))
                : r.optionalString("public-address").map(v -> r.parse("public-address", v, ConfigLoader::ipLiteral));

        r.checkKeys("timeouts", TIMEOUT_KEYS);
        Timeouts d = Timeouts.DEFAULTS;
        Timeouts timeouts = new Timeouts(
                r.duration("timeouts.idle", d.idle()),
                r.duration("timeouts.data-connect", d.dataConnect()),
                r.duration("timeouts.backend-connect", d.backendConnect()),
                r.duration("timeouts.expectation", d.expectation()),
                r.duration("timeouts.backend-reply", d.backendReply()));

        r.checkKeys("limits", LIMIT_KEYS);
        Limits l = Limits.DEFAULTS;
        Limits limits = new Limits(
                r.integer("limits.max-line-length", l.maxLineLength(), 64, 65536),
                r.integer("limits.max-bad-lines", l.maxBadLines(), 1, 1000),
                r.integer("limits.max-reply-lines", l.maxReplyLines(), 2, 100000),
                r.integer("limits.max-sessions", l.maxSessions(), 1, 1_000_000),
                cli.maxSessionsPerIp() != null ? parse("--max-sessions-per-ip", cli.maxSessionsPerIp(), v -> wholeNumber(v, 1, 1_000_000))
                        : r.integer("limits.max-sessions-per-ip", l.maxSessionsPerIp(), 1, 1_000_000),
                r.integer("limits.max-data-ports-per-session", l.maxDataPortsPerSession(), 1, 1000),
                r.integer("limits.max-data-ports-per-ip", l.maxDataPortsPerIp(), 1, 1_000_000),
                r.integer("limits.max-transfers-per-session", l.maxTransfersPerSession(), 0, Integer.MAX_VALUE),
                r.optionalString("limits.bandwidth-per-session").map(v -> r.parse("limits.bandwidth-per-session", v, ConfigLoader::rate)).orElse(0L),
                r.optionalString("limits.bandwidth-total").map(v -> r.parse("limits.bandwidth-total", v, ConfigLoader::rate)).orElse(0L));

        r.checkKeys("policy", POLICY_KEYS);
        List<String> denyCommands = r.stringList("policy.deny-commands", CommandRules.DEFAULT_DENIED);
        for (String denied : denyCommands) {
            if (denied.isBlank() || denied.strip().split("\\s+").length > 2) {
                r.fail("policy.deny-commands", denied, "expected a verb or a verb and one word, such as DELE or \"SITE EXEC\"");
            }
        }
        CommandRules rules = new CommandRules(denyCommands, r.bool("policy.deny-anonymous", false),
                cli.banAfter() != null ? parse("--ban-after", cli.banAfter(), v -> wholeNumber(v, 0, 1_000_000))
                        : r.integer("policy.ban-after-failures", 10, 0, 1_000_000),
                r.duration("policy.ban-window", Duration.ofMinutes(10)),
                cli.banTime() != null ? parse("--ban-time", cli.banTime(), ConfigLoader::duration)
                        : r.duration("policy.ban-time", Duration.ofMinutes(15)),
                r.optionalString("policy.ban-file").map(v -> r.parse("policy.ban-file", v, ConfigLoader::writableFile)),
                r.bool("policy.strict-protocol", false),
                r.stringList("policy.allow-commands", List.of()));
        for (String allowed : rules.allowCommands()) {
            if (allowed.isBlank() || allowed.strip().split("\\s+").length > 2) {
                r.fail("policy.allow-commands", allowed, "expected a verb or a verb and one word, such as RETR or \"SITE CHMOD\"");
            }
        }

        r.checkKeys("data", DATA_KEYS);
        DataPolicy p = DataPolicy.DEFAULTS;
        DataPolicy data = new DataPolicy(
                r.bool("data.allow-foreign-address", p.allowForeignAddress()),
                r.bool("data.allow-privileged-ports", p.allowPrivilegedPorts()),
                r.integer("data.active-source-port", p.activeSourcePort(), 0, 65535),
                r.enumValue("data.backend-mode", BackendDataMode.class, p.backendMode()),
                r.optionalString("data.backend-active-source").map(v -> r.parse("data.backend-active-source", v, ConfigLoader::ipLiteral)),
                r.enumValue("data.backend-pasv-address", BackendPasvAddress.class, p.backendPasvAddress()),
                r.bool("data.zero-copy", p.zeroCopy()),
                (int) r.size("data.splice-pipe-size", p.splicePipeSize(), 64L << 20),
                r.size("data.splice-pipe-budget", p.splicePipeBudget(), 1L << 40),
                kernelNat(r));
        TlsConfig tls = tls(r, src, cli, listen);
        BackendTlsConfig backendTls = backendTls(r, src, cli);

        r.checkKeys("audit", AUDIT_KEYS);
        AuditConfig audit = new AuditConfig(
                r.optionalString("audit.xferlog").map(v -> r.parse("audit.xferlog", v, ConfigLoader::writableFile)),
                r.optionalString("audit.events").map(v -> r.parse("audit.events", v, ConfigLoader::writableFile)),
                r.parse("audit.max-file-size", r.string("audit.max-file-size", AuditConfig.OFF.maxFileSize()), ConfigLoader::fileSize),
                r.integer("audit.max-history", AuditConfig.OFF.maxHistory(), 1, 3650),
                r.parse("audit.total-size-cap", r.string("audit.total-size-cap", AuditConfig.OFF.totalSizeCap()), ConfigLoader::fileSize));

        r.checkKeys("admin", ADMIN_KEYS);
        String adminText = cli.adminListen() != null ? cli.adminListen() : r.string("admin.listen", AdminConfig.DEFAULT_LISTEN);
        Optional<InetSocketAddress> adminListen = adminText.equals("off") ? Optional.empty()
                : Optional.ofNullable(cli.adminListen() != null ? parse("--admin-listen", adminText, ConfigLoader::listenAddressOrEphemeral)
                        : r.parse("admin.listen", adminText, ConfigLoader::listenAddressOrEphemeral));
        Optional<String> token = r.optionalString("admin.token");
        if (token.isPresent() && (token.get().length() < 16 || !token.get().matches("[\\x21-\\x7e]+"))) {
            r.fail("admin.token", "****", "expected at least 16 printable characters, no spaces");
        }
        AdminConfig admin = new AdminConfig(adminListen,
                r.duration("admin.drain-timeout", Duration.ofSeconds(30)), token);
        r.checkKeys("proxy-protocol", PROXY_PROTOCOL_KEYS);
        ProxyProtocolConfig proxyProtocol = new ProxyProtocolConfig(
                cli.proxyProtocol() || r.bool("proxy-protocol.accept", false),
                r.enumValue("proxy-protocol.data-peer-check", ProxyProtocolConfig.DataPeerCheck.class, ProxyProtocolConfig.DataPeerCheck.ADDRESS),
                r.enumValue("proxy-protocol.send-to-backend", ProxyProtocolConfig.SendVersion.class, ProxyProtocolConfig.SendVersion.OFF));
        r.checkKeys("transparent", TRANSPARENT_KEYS);
        TransparentConfig transparent = new TransparentConfig(
                r.enumValue("transparent.mode", TransparentConfig.Mode.class, TransparentConfig.Mode.OFF),
                r.stringList("transparent.allow-destinations", List.of()).stream()
                        .map(v -> r.parse("transparent.allow-destinations", v, Cidr::parse)).filter(java.util.Objects::nonNull).toList(),
                r.bool("transparent.spoof-client-address", false));
        if (transparent.enabled() && transparent.allowDestinations().isEmpty()) {
            r.fail("transparent.allow-destinations", "[]", "transparent mode needs the networks its FTP servers may be in, e.g. [203.0.113.0/24]");
        }
        if (transparent.enabled() && !backends.isDemo()) {
            r.fail("backend", backends.allBackends().toString(), "transparent mode relays to each connection's original destination; remove backend");
        }
        if (data.kernelNat().enabled()) {
            // Data the kernel forwards never passes through the proxy: what needs to see or shape it
            // cannot be combined with it.
            String why = limits.bandwidthPerSession() > 0 || limits.bandwidthTotal() > 0 ? "limits.bandwidth-* (the kernel does not pace data)"
                    : proxyProtocol.accept() ? "proxy-protocol.accept (data connections carry a PROXY header only the relay can read)"
                    : transparent.enabled() ? "transparent mode" : null;
            if (why != null) {
                r.fail("data.kernel-nat", "true", "kernel-forwarded data cannot be combined with " + why);
            }
        }
        r.throwIfFailed();
        return new ProxyConfig(listen, backends, passive, publicAddress, timeouts, limits, data, tls, backendTls, audit, admin, rules,
                proxyProtocol, transparent);
    }

    private static KernelNatConfig kernelNat(Reader r) {
        KernelNatConfig d = KernelNatConfig.OFF;
        boolean enabled = r.bool("data.kernel-nat", d.enabled());
        String nftText = r.string("data.kernel-nat-nft", d.nft().toString());
        Path nft = enabled ? r.parse("data.kernel-nat-nft", nftText, ConfigLoader::executableFile) : Path.of(nftText);
        String table = r.string("data.kernel-nat-table", d.table());
        KernelNatConfig c = r.parse("data.kernel-nat-table", table, t -> new KernelNatConfig(enabled, nft == null ? d.nft() : nft, t));
        return c == null ? d : c;
    }

    static Path executableFile(String text) {
        Path p = Path.of(text.strip());
        if (!java.nio.file.Files.isRegularFile(p) || !java.nio.file.Files.isExecutable(p)) {
            throw new IllegalArgumentException("expected an executable file");
        }
        return p;
    }

    private static BackendPoolConfig backends(Reader r, CliOverrides cli) throws ConfigException {
        List<HostAndPort> pool = new ArrayList<>();
        if (!cli.backends().isEmpty()) {
            for (String b : cli.backends()) {
                pool.add(parse("--backend", b, HostAndPort::parse));
            }
        } else {
            for (String b : r.stringList("backend", List.of())) {
                HostAndPort h = r.parse("backend", b, HostAndPort::parse);
                if (h != null) {
                    pool.add(h);
                }
            }
        }
        BackendPoolConfig.Balance balance = cli.balance() != null
                ? parse("--balance", cli.balance(), v -> enumOf(BackendPoolConfig.Balance.class, v))
                : r.enumValue("balance", BackendPoolConfig.Balance.class, BackendPoolConfig.Balance.ROUND_ROBIN);
        List<BackendPoolConfig.UserRoute> routes = new ArrayList<>();
        JsonNode routeNodes = r.node("user-routes");
        if (!routeNodes.isMissingNode() && !routeNodes.isNull() && !routeNodes.isArray()) {
            r.fail("user-routes", routeNodes.toString(), "expected a list of {user: REGEX, backend: HOST:PORT or a list}");
        } else if (routeNodes.isArray()) {
            for (int i = 0; i < routeNodes.size(); i++) {
                String at = "user-routes." + i;
                r.checkKeys(at, USER_ROUTE_KEYS);
                java.util.regex.Pattern user = r.parse(at + ".user", r.string(at + ".user", ""), ConfigLoader::userPattern);
                List<HostAndPort> to = new ArrayList<>();
                for (String b : r.stringList(at + ".backend", List.of())) {
                    HostAndPort h = r.parse(at + ".backend", b, HostAndPort::parse);
                    if (h != null) {
                        to.add(h);
                    }
                }
                if (to.isEmpty()) {
                    r.fail(at + ".backend", "", "expected HOST:PORT or a list of them");
                }
                if (user != null) {
                    routes.add(new BackendPoolConfig.UserRoute(user, to));
                }
            }
        }
        if (balance == BackendPoolConfig.Balance.PER_USER && routes.isEmpty()) {
            r.fail("user-routes", "[]", "balance per-user needs user-routes (a route with user: \".*\" is the default)");
        }
        if (balance != BackendPoolConfig.Balance.PER_USER && !routes.isEmpty()) {
            r.fail("balance", balance.name().toLowerCase(Locale.ROOT).replace('_', '-'), "user-routes are only used with balance: per-user");
        }
        if (balance != BackendPoolConfig.Balance.PER_USER && pool.isEmpty() && cli.balance() != null) {
            throw new ConfigException("--balance: '" + cli.balance() + "' (needs at least one --backend)");
        }
        r.checkKeys("health-check", HEALTH_CHECK_KEYS);
        HealthCheckConfig d = HealthCheckConfig.DEFAULTS;
        HealthCheckConfig health = new HealthCheckConfig(
                r.bool("health-check.enabled", d.enabled()),
                r.duration("health-check.interval", d.interval()),
                r.duration("health-check.timeout", d.timeout()),
                r.integer("health-check.rise", d.rise(), 1, 100),
                r.integer("health-check.fall", d.fall(), 1, 100),
                r.bool("health-check.auth-tls", d.authTls()),
                r.optionalString("health-check.user"),
                r.optionalString("health-check.password"));
        if (health.user().isPresent() != health.password().isPresent()) {
            r.fail(health.user().isPresent() ? "health-check.password" : "health-check.user", "",
                    "a login probe needs both health-check.user and health-check.password");
        }
        return new BackendPoolConfig(pool, balance, routes, health);
    }

    static java.util.regex.Pattern userPattern(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("expected a regular expression for USER names, e.g. \"^(alice|bob)$\" or \".*\"");
        }
        try {
            return java.util.regex.Pattern.compile(text);
        } catch (java.util.regex.PatternSyntaxException e) {
            throw new IllegalArgumentException("expected a regular expression: " + e.getDescription());
        }
    }

    /** A data rate: bytes per second, with an optional unit (KB, KiB, MB, MiB, GB, GiB, kbit, Mbit, Gbit) and "/s". */
    static long rate(String text) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)\\s*(\\d+(?:\\.\\d+)?)\\s*([kmg]i?b|[kmg]bit|b)?(?:/s)?\\s*").matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("expected a rate such as 10MiB/s, 500KB/s, 100Mbit/s or a number of bytes per second (0: no limit)");
        }
        double n = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        double factor = switch (unit) {
            case "kb" -> 1e3;
            case "kib" -> 1024;
            case "mb" -> 1e6;
            case "mib" -> 1024 * 1024;
            case "gb" -> 1e9;
            case "gib" -> 1024.0 * 1024 * 1024;
            case "kbit" -> 1e3 / 8;
            case "mbit" -> 1e6 / 8;
            case "gbit" -> 1e9 / 8;
            default -> 1;
        };
        long bytes = (long) (n * factor);
        if (bytes != 0 && bytes < 1024) {
            throw new IllegalArgumentException("expected at least 1KiB/s (or 0: no limit)");
        }
        return bytes;
    }

    static InetSocketAddress listenAddressOrEphemeral(String text) {
        if (text.strip().endsWith(":0")) {
            return new InetSocketAddress(ipLiteral(text.strip().substring(0, text.strip().length() - 2).replace("[", "").replace("]", "")), 0);
        }
        return listenAddress(text);
    }

    static int wholeNumber(String text, int min, int max) {
        try {
            int n = Integer.parseInt(text.strip());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("expected a whole number from " + min + " to " + max);
    }

    static Path writableFile(String text) {
        Path p = Path.of(text.strip()).toAbsolutePath();
        Path dir = p.getParent();
        if (dir == null || !Files.isDirectory(dir) || !Files.isWritable(dir) || Files.isDirectory(p)) {
            throw new IllegalArgumentException("expected a file path in an existing, writable directory");
        }
        return p;
    }

    /** A number of bytes such as 1MiB, 512KiB or 65536, between {@code min} and {@code max}. */
    static Long byteCount(String text, long min, long max) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)\\s*(\\d+)\\s*(kib|mib|gib|b)?\\s*").matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("expected a size such as 1MiB, 512KiB or a number of bytes");
        }
        String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        long factor = switch (unit) {
            case "kib" -> 1024L;
            case "mib" -> 1024L * 1024;
            case "gib" -> 1024L * 1024 * 1024;
            default -> 1L;
        };
        long bytes;
        try {
            bytes = Math.multiplyExact(Long.parseLong(m.group(1)), factor);
        } catch (ArithmeticException | NumberFormatException e) {
            bytes = Long.MAX_VALUE;
        }
        if (bytes < min || bytes > max) {
            throw new IllegalArgumentException("expected a size from " + min + " to " + max + " bytes");
        }
        return bytes;
    }

    static String fileSize(String text) {
        if (!text.strip().matches("(?i)\\d+\\s*(kb|mb|gb)?")) {
            throw new IllegalArgumentException("expected a size such as 100MB, 512KB or 5GB");
        }
        return text.strip();
    }

    private static TlsConfig tls(Reader r, String src, CliOverrides cli, List<InetSocketAddress> listen) throws ConfigException {
        r.checkKeys("tls", TLS_KEYS);
        Optional<Path> cert = cli.tlsCert() != null ? Optional.of(parse("--tls-cert", cli.tlsCert(), ConfigLoader::readableFile))
                : r.optionalString("tls.cert").map(v -> r.parse("tls.cert", v, ConfigLoader::readableFile));
        Optional<Path> key = cli.tlsKey() != null ? Optional.of(parse("--tls-key", cli.tlsKey(), ConfigLoader::readableFile))
                : r.optionalString("tls.key").map(v -> r.parse("tls.key", v, ConfigLoader::readableFile));
        Optional<Path> clientCa = r.optionalString("tls.client-ca").map(v -> r.parse("tls.client-ca", v, ConfigLoader::readableFile));
        r.throwIfFailed(); // an unreadable file is the error to report, not a missing pair
        boolean haveCert = cert.isPresent() && key.isPresent();
        if (cert.isPresent() != key.isPresent()) {
            String missing = cert.isPresent() ? "tls.key (--tls-key)" : "tls.cert (--tls-cert)";
            throw new ConfigException(src + ": " + missing + ": missing (expected: a certificate and its key together)");
        }
        TlsConfig.Policy policy = cli.tlsPolicy() != null
                ? parse("--tls-policy", cli.tlsPolicy(), v -> enumOf(TlsConfig.Policy.class, v))
                : r.enumValue("tls.policy", TlsConfig.Policy.class, haveCert ? TlsConfig.Policy.REQUIRED : TlsConfig.Policy.OFF);
        TlsConfig.DataProtection protection = cli.dataProtection() != null
                ? parse("--data-protection", cli.dataProtection(), v -> enumOf(TlsConfig.DataProtection.class, v))
                : r.enumValue("tls.data-protection", TlsConfig.DataProtection.class,
                        haveCert ? TlsConfig.DataProtection.PRIVATE_REQUIRED : TlsConfig.DataProtection.ANY);
        List<String> implicitText = !cli.implicitTlsListen().isEmpty() ? cli.implicitTlsListen() : r.stringList("tls.implicit-listen", List.of());
        List<InetSocketAddress> implicit = new ArrayList<>();
        for (String l : implicitText) {
            implicit.add(parse(!cli.implicitTlsListen().isEmpty() ? "--implicit-tls-listen" : src + ": tls.implicit-listen", l, ConfigLoader::listenAddress));
        }
        if (!haveCert && (policy != TlsConfig.Policy.OFF || !implicit.isEmpty())) {
            throw new ConfigException(src + ": tls.policy: '" + policy.name().toLowerCase(Locale.ROOT)
                    + "'" + (implicit.isEmpty() ? "" : " with tls.implicit-listen")
                    + " (expected: tls.cert and tls.key (--tls-cert, --tls-key) to be set)");
        }
        if (policy == TlsConfig.Policy.OFF && protection == TlsConfig.DataProtection.PRIVATE_REQUIRED) {
            throw new ConfigException(src + ": tls.data-protection: 'private-required' (expected: 'any' when tls.policy is 'off')");
        }
        List<String> ciphers = r.stringList("tls.ciphers", TlsConfig.DEFAULT_CIPHERS);
        List<TlsConfig.ListenerPolicy> perListener = new ArrayList<>();
        JsonNode listeners = r.node("tls.listeners");
        if (!listeners.isMissingNode() && !listeners.isNull()) {
            if (!listeners.isArray()) {
                throw new ConfigException(src + ": tls.listeners: '" + listeners + "' (expected a list of {address, policy, data-protection})");
            }
            for (int i = 0; i < listeners.size(); i++) {
                String k = "tls.listeners." + i;
                r.checkKeys(k, LISTENER_KEYS);
                String addressText = r.string(k + ".address", "");
                InetSocketAddress address = r.parse(k + ".address", addressText, ConfigLoader::listenAddress);
                if (address != null && !listen.contains(address)) {
                    throw new ConfigException(src + ": " + k + ".address: '" + addressText + "' (expected one of the listen addresses " + listen + ")");
                }
                TlsConfig.Policy lp = r.enumValue(k + ".policy", TlsConfig.Policy.class, policy);
                if (lp != TlsConfig.Policy.OFF && !haveCert) {
                    throw new ConfigException(src + ": " + k + ".policy: '" + lp.name().toLowerCase(Locale.ROOT) + "' (expected: tls.cert and tls.key to be set)");
                }
                perListener.add(new TlsConfig.ListenerPolicy(address, lp,
                        r.enumValue(k + ".data-protection", TlsConfig.DataProtection.class, lp == TlsConfig.Policy.OFF ? TlsConfig.DataProtection.ANY : protection)));
            }
        }
        return new TlsConfig(cert, key, clientCa, policy, protection,
                r.bool("tls.require-session-reuse", false), implicit, ciphers,
                r.enumValue("tls.provider", TlsConfig.Provider.class, TlsConfig.Provider.AUTO),
                r.duration("tls.handshake-timeout", Duration.ofSeconds(10)), perListener);
    }

    private static BackendTlsConfig backendTls(Reader r, String src, CliOverrides cli) throws ConfigException {
        r.checkKeys("backend-tls", BACKEND_TLS_KEYS);
        BackendTlsConfig.Mode mode = cli.backendTls() != null
                ? parse("--backend-tls", cli.backendTls(), v -> enumOf(BackendTlsConfig.Mode.class, v))
                : r.enumValue("backend-tls.mode", BackendTlsConfig.Mode.class, BackendTlsConfig.Mode.OFF);
        Optional<Path> ca = cli.backendCa() != null ? Optional.of(parse("--backend-ca", cli.backendCa(), ConfigLoader::readableFile))
                : r.optionalString("backend-tls.ca").map(v -> r.parse("backend-tls.ca", v, ConfigLoader::readableFile));
        Optional<String> fingerprint = r.optionalString("backend-tls.fingerprint").map(v -> r.parse("backend-tls.fingerprint", v, ConfigLoader::fingerprint));
        return new BackendTlsConfig(mode, ca, fingerprint, r.bool("backend-tls.insecure", false));
    }

    static Path readableFile(String text) {
        Path p = Path.of(text.strip());
        if (!Files.isReadable(p) || Files.isDirectory(p)) {
            throw new IllegalArgumentException("expected a readable file");
        }
        return p;
    }

    static String fingerprint(String text) {
        String hex = text.strip().replace(":", "").toLowerCase(Locale.ROOT);
        if (!hex.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("expected a SHA-256 fingerprint: 64 hex digits, colons allowed");
        }
        return hex;
    }

    static <E extends Enum<E>> E enumOf(Class<E> type, String value) {
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            String name = e.name().toLowerCase(Locale.ROOT).replace('_', '-');
            if (name.equals(value.strip())) {
                return e;
            }
            names.add(name);
        }
        throw new IllegalArgumentException("expected one of " + names);
    }

    private static JsonNode readYaml(Path file) throws ConfigException {
        if (!Files.isReadable(file)) {
            throw new ConfigException(file + ": cannot read the config file");
        }
        try {
            JsonNode node = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
            if (node == null || node.isMissingNode() || node.isNull()) {
                return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
            }
            if (!node.isObject()) {
                throw new ConfigException(file + ": expected a mapping of keys at the top level");
            }
            return node;
        } catch (IOException e) {
            throw new ConfigException(file + ": not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static <T> T parse(String where, String value, Function<String, T> parser) throws ConfigException {
        try {
            return parser.apply(value);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(where + ": '" + value + "' (" + e.getMessage() + ")");
        }
    }

    static InetSocketAddress listenAddress(String text) {
        HostAndPort hp = HostAndPort.parse(text);
        return new InetSocketAddress(ipLiteral(hp.host()), hp.port());
    }

    static InetAddress ipLiteral(String text) {
        String s = text.strip();
        Optional<InetAddress> a = s.contains(":") ? ExtendedHostPort.parseIpv6Literal(s) : ExtendedHostPort.parseIpv4Literal(s);
        return a.orElseThrow(() -> new IllegalArgumentException("expected an IPv4 or IPv6 address literal"));
    }

    static Duration duration(String text) {
        String s = text.strip().toLowerCase(Locale.ROOT);
        try {
            Duration d;
            if (s.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
            } else if (s.endsWith("s")) {
                d = Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1)));
            } else if (s.endsWith("m")) {
                d = Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1)));
            } else if (s.endsWith("h")) {
                d = Duration.ofHours(Long.parseLong(s.substring(0, s.length() - 1)));
            } else {
                d = Duration.ofSeconds(Long.parseLong(s));
            }
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("expected a positive duration such as 30s, 500ms, 15m");
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected a duration such as 30s, 500ms, 15m or a number of seconds");
        }
    }

    /** Walks the YAML tree; collects the first error with its full key path. */
    private static final class Reader {
        private final String source;
        private final JsonNode root;
        private ConfigException failure;

        Reader(String source, JsonNode root) {
            this.source = source;
            this.root = root;
        }

        JsonNode node(String dotted) {
            JsonNode n = root;
            for (String part : dotted.split("\\.")) {
                n = part.chars().allMatch(Character::isDigit) && n.isArray() ? n.path(Integer.parseInt(part)) : n.path(part);
            }
            return n;
        }

        void checkKeys(String section, Set<String> known) {
            JsonNode n = section.isEmpty() ? root : node(section);
            if (n.isMissingNode() || n.isNull()) {
                return;
            }
            if (!n.isObject()) {
                fail(section, n.toString(), "expected a mapping with keys " + new java.util.TreeSet<>(known));
                return;
            }
            for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!known.contains(k)) {
                    fail(section.isEmpty() ? k : section + "." + k, n.get(k).toString(),
                            "unknown key; known keys here: " + new java.util.TreeSet<>(known));
                }
            }
        }

        Optional<String> optionalString(String key) {
            JsonNode n = node(key);
            if (n.isMissingNode() || n.isNull()) {
                return Optional.empty();
            }
            if (!n.isValueNode() || n.isBoolean()) {
                fail(key, n.toString(), "expected a string");
                return Optional.empty();
            }
            return Optional.of(n.asText());
        }

        String string(String key, String def) {
            return optionalString(key).orElse(def);
        }

        List<String> stringList(String key, List<String> def) {
            JsonNode n = node(key);
            if (n.isMissingNode() || n.isNull()) {
                return def;
            }
            if (n.isTextual()) {
                return List.of(n.asText());
            }
            if (!n.isArray() || n.isEmpty()) {
                fail(key, n.toString(), "expected a string or a non-empty list of strings");
                return def;
            }
            List<String> out = new ArrayList<>();
            n.forEach(e -> out.add(e.asText()));
            return out;
        }

        int integer(String key, int def, int min, int max) {
            JsonNode n = node(key);
            if (n.isMissingNode() || n.isNull()) {
                return def;
            }
            if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < min || n.asInt() > max) {
                fail(key, n.toString(), "expected a whole number from " + min + " to " + max);
                return def;
            }
            return n.asInt();
        }

        boolean bool(String key, boolean def) {
            JsonNode n = node(key);
            if (n.isMissingNode() || n.isNull()) {
                return def;
            }
            if (!n.isBoolean()) {
                fail(key, n.toString(), "expected true or false");
                return def;
            }
            return n.asBoolean();
        }

        Duration duration(String key, Duration def) {
            return optionalString(key).map(v -> parse(key, v, ConfigLoader::duration)).orElse(def);
        }

        <E extends Enum<E>> E enumValue(String key, Class<E> type, E def) {
            Optional<String> v = optionalString(key);
            if (v.isEmpty()) {
                return def;
            }
            try {
                return enumOf(type, v.get());
            } catch (IllegalArgumentException e) {
                fail(key, v.get(), e.getMessage());
                return def;
            }
        }

        /** A size in bytes (1MiB, 512KiB, 65536) from 0 to {@code max}; {@code def} if absent or wrong (the error is kept). */
        long size(String key, long def, long max) {
            Optional<String> v = optionalString(key);
            if (v.isEmpty()) {
                return def;
            }
            Long bytes = parse(key, v.get(), text -> byteCount(text, 0, max));
            return bytes == null ? def : bytes;
        }

        <T> T parse(String key, String value, Function<String, T> parser) {
            try {
                return parser.apply(value);
            } catch (IllegalArgumentException e) {
                fail(key, value, e.getMessage());
                return null;
            }
        }

        void fail(String key, String value, String expected) {
            if (failure == null) {
                failure = new ConfigException(source + ": " + key + ": '" + value + "' (" + expected + ")");
            }
        }

        void throwIfFailed() throws ConfigException {
            if (failure != null) {
                throw failure;
            }
        }
    }
}
