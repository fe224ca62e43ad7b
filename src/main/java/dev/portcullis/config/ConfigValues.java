package dev.portcullis.config;

import dev.portcullis.ftp.ExtendedHostPort;
import dev.portcullis.net.HostAndPort;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The config file's value syntaxes as pure functions: text in, value out, or an
 * {@link IllegalArgumentException} whose message says what was expected ("expected a duration such
 * as 30s…"). {@link ConfigModule} binds them to YAML; the command line's flags go through the same
 * functions, so a flag and its key accept and refuse the same texts.
 */
public final class ConfigValues {

    private static final Pattern RATE = Pattern.compile("(?i)\\s*(\\d+(?:\\.\\d+)?)\\s*([kmg]i?b|[kmg]bit|b)?(?:/s)?\\s*");
    private static final Pattern BYTES = Pattern.compile("(?i)\\s*(\\d+)\\s*(kib|mib|gib|b)?\\s*");

    private ConfigValues() {
    }

    /** A positive duration: 500ms, 30s, 15m, 2h or a number of seconds. */
    public static Duration duration(String text) {
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

    /** A data rate: bytes per second, with an optional unit (KB, KiB, MB, MiB, GB, GiB, kbit, Mbit, Gbit) and "/s". */
    public static long rate(String text) {
        Matcher m = RATE.matcher(text);
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

    /** A number of bytes such as 1MiB, 512KiB or 65536, between {@code min} and {@code max}. */
    public static long byteCount(String text, long min, long max) {
        Matcher m = BYTES.matcher(text);
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

    public static InetAddress ipLiteral(String text) {
        String s = text.strip();
        Optional<InetAddress> a = s.contains(":") ? ExtendedHostPort.parseIpv6Literal(s) : ExtendedHostPort.parseIpv4Literal(s);
        return a.orElseThrow(() -> new IllegalArgumentException("expected an IPv4 or IPv6 address literal"));
    }

    /** ADDR:PORT or [V6]:PORT with an address literal (a listener binds no name). */
    public static InetSocketAddress listenAddress(String text) {
        HostAndPort hp = HostAndPort.parse(text);
        return new InetSocketAddress(ipLiteral(hp.host()), hp.port());
    }

    /** A listen address that may also end in :0 (any free port: tests and the admin listener). */
    public static InetSocketAddress listenAddressOrEphemeral(String text) {
        String s = text.strip();
        if (s.endsWith(":0")) {
            return new InetSocketAddress(ipLiteral(s.substring(0, s.length() - 2).replace("[", "").replace("]", "")), 0);
        }
        return listenAddress(s);
    }

    public static Pattern userPattern(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("expected a regular expression for USER names, e.g. \"^(alice|bob)$\" or \".*\"");
        }
        try {
            return Pattern.compile(text);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("expected a regular expression: " + e.getDescription());
        }
    }

    /** A SHA-256 fingerprint, as 64 lower-case hex digits (colons and case as written are dropped). */
    public static String fingerprint(String text) {
        String hex = text.strip().replace(":", "").toLowerCase(Locale.ROOT);
        if (!hex.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("expected a SHA-256 fingerprint: 64 hex digits, colons allowed");
        }
        return hex;
    }

    /** An enum constant by its config spelling: lower case, '-' for '_'. */
    public static <E extends Enum<E>> E enumOf(Class<E> type, String value) {
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            String name = spelling(e);
            if (name.equals(value.strip())) {
                return e;
            }
            names.add(name);
        }
        throw new IllegalArgumentException("expected one of " + names);
    }

    public static String spelling(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Path readableFile(String text) {
        Path p = Path.of(text.strip());
        if (!Files.isReadable(p) || Files.isDirectory(p)) {
            throw new IllegalArgumentException("expected a readable file");
        }
        return p;
    }

    public static Path writableFile(String text) {
        Path p = Path.of(text.strip()).toAbsolutePath();
        Path dir = p.getParent();
        if (dir == null || !Files.isDirectory(dir) || !Files.isWritable(dir) || Files.isDirectory(p)) {
            throw new IllegalArgumentException("expected a file path in an existing, writable directory");
        }
        return p;
    }

    public static Path executableFile(String text) {
        Path p = Path.of(text.strip());
        if (!Files.isRegularFile(p) || !Files.isExecutable(p)) {
            throw new IllegalArgumentException("expected an executable file");
        }
        return p;
    }
}
