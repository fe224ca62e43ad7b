package dev.portcullis.ftp;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * RFC 2428 extended forms: the EPRT argument {@code |af|address|port|} and the 229 reply
 * {@code (|||port|)}. Pure functions; address literals are checked character by character before
 * they reach {@link InetAddress}, so a host name can never trigger a DNS lookup.
 */
public final class ExtendedHostPort {

    private ExtendedHostPort() {
    }

    /** Parses an EPRT argument such as {@code |1|132.235.1.2|6275|} or {@code |2|::1|5282|}. */
    public static Optional<InetSocketAddress> parseEprtArgument(String argument) {
        String s = argument.strip();
        if (s.length() < 7) {
            return Optional.empty();
        }
        char d = s.charAt(0);
        // RFC 2428: the delimiter is any ASCII 33-126; '|' is recommended.
        if (d < 33 || d > 126 || Character.isDigit(d) || d == '.' || d == ':') {
            return Optional.empty();
        }
        // d af d addr d port d: exactly four delimiters, the first and last at the ends. A plain scan,
        // not String.split: a quoted delimiter compiled a regular expression for every EPRT.
        int last = s.length() - 1;
        int afEnd = s.indexOf(d, 1);
        int addrEnd = afEnd < 0 ? -1 : s.indexOf(d, afEnd + 1);
        if (s.charAt(last) != d || addrEnd < 0 || addrEnd >= last || s.indexOf(d, addrEnd + 1) != last) {
            return Optional.empty();
        }
        String af = s.substring(1, afEnd);
        String addr = s.substring(afEnd + 1, addrEnd);
        OptionalInt port = parsePort(s.substring(addrEnd + 1, last));
        if (port.isEmpty()) {
            return Optional.empty();
        }
        Optional<InetAddress> address = switch (af) {
            case "1" -> parseIpv4Literal(addr);
            case "2" -> parseIpv6Literal(addr);
            default -> Optional.empty();
        };
        return address.map(a -> new InetSocketAddress(a, port.getAsInt()));
    }

    /** Parses the port out of a 229 reply text such as {@code Entering Extended Passive Mode (|||6446|)}. */
    public static OptionalInt parseExtendedPassiveReply(String replyText) {
        int open = replyText.indexOf('(');
        int close = replyText.indexOf(')', open + 1);
        if (open < 0 || close < 0 || close - open < 6) {
            return OptionalInt.empty();
        }
        String inner = replyText.substring(open + 1, close);
        char d = inner.charAt(0);
        if (d < 33 || d > 126 || Character.isDigit(d)) {
            return OptionalInt.empty();
        }
        if (inner.length() < 5 || inner.charAt(1) != d || inner.charAt(2) != d
                || inner.charAt(inner.length() - 1) != d) {
            return OptionalInt.empty();
        }
        return parsePort(inner.substring(3, inner.length() - 1));
    }

    /** Formats an EPRT argument. */
    public static String formatEprt(InetSocketAddress address) {
        InetAddress a = address.getAddress();
        String af = a instanceof Inet6Address ? "2" : "1";
        return "|" + af + "|" + a.getHostAddress() + "|" + address.getPort() + "|";
    }

    /** The whole 229 reply text. */
    public static String extendedPassiveReplyText(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
        }
        return "Entering Extended Passive Mode (|||" + port + "|)";
    }

    static OptionalInt parsePort(String s) {
        if (s.isEmpty() || s.length() > 5) {
            return OptionalInt.empty();
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return OptionalInt.empty();
            }
        }
        int port = Integer.parseInt(s);
        return port >= 1 && port <= 65535 ? OptionalInt.of(port) : OptionalInt.empty();
    }

    /** Strict dotted quad: four decimal fields 0-255, no leading '+' or spaces. */
    public static Optional<InetAddress> parseIpv4Literal(String s) {
        String[] f = s.split("\\.", -1);
        if (f.length != 4) {
            return Optional.empty();
        }
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            if (f[i].isEmpty() || f[i].length() > 3 || !f[i].chars().allMatch(Character::isDigit)) {
                return Optional.empty();
            }
            int v = Integer.parseInt(f[i]);
            if (v > 255) {
                return Optional.empty();
            }
            b[i] = (byte) v;
        }
        try {
            return Optional.of((Inet4Address) InetAddress.getByAddress(b));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    /** An IPv6 literal (hex digits, ':' and an optional dotted-quad tail; no zone id). */
    public static Optional<InetAddress> parseIpv6Literal(String s) {
        if (s.isEmpty() || s.length() > 45 || !s.contains(":")) {
            return Optional.empty();
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
                    || c == ':' || c == '.';
            if (!ok) {
                return Optional.empty();
            }
        }
        try {
            // Only a literal reaches here, so this never resolves a name.
            InetAddress a = InetAddress.getByName(s);
            // "::ffff:1.2.3.4" comes back as an Inet4Address: keep it, the family check is the caller's.
            return Optional.of(a);
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }
}
