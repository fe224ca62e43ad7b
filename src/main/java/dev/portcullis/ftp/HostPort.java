package dev.portcullis.ftp;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The RFC 959 host-port form {@code h1,h2,h3,h4,p1,p2} used by PORT and by the 227 reply to PASV.
 * Pure functions: no name resolution, every field range-checked, port 0 refused.
 */
public final class HostPort {

    // Six numbers not glued to other digits, so "1000,2000,..." cannot match as "000,200,...".
    private static final Pattern SIX_NUMBERS = Pattern.compile(
            "(?<!\\d)(\\d{1,3}),(\\d{1,3}),(\\d{1,3}),(\\d{1,3}),(\\d{1,3}),(\\d{1,3})(?!\\d)");

    private HostPort() {
    }

    /** Parses the argument of PORT, e.g. {@code 127,0,0,1,4,1}; surrounding spaces are allowed. */
    public static Optional<InetSocketAddress> parsePortArgument(String argument) {
        String trimmed = argument.strip();
        Matcher m = SIX_NUMBERS.matcher(trimmed);
        if (!m.matches()) {
            return Optional.empty();
        }
        return fromGroups(m);
    }

    /**
     * Parses the text of a 227 reply. RFC 1123 4.1.2.6: the client must scan the text for the
     * numbers, as servers differ in whether they put them in parentheses.
     */
    public static Optional<InetSocketAddress> parsePassiveReply(String replyText) {
        Matcher m = SIX_NUMBERS.matcher(replyText);
        if (!m.find()) {
            return Optional.empty();
        }
        return fromGroups(m);
    }

    /** Formats an IPv4 address and port as {@code h1,h2,h3,h4,p1,p2}. */
    public static String format(Inet4Address address, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
        }
        byte[] b = address.getAddress();
        return (b[0] & 0xff) + "," + (b[1] & 0xff) + "," + (b[2] & 0xff) + "," + (b[3] & 0xff)
                + "," + (port >> 8) + "," + (port & 0xff);
    }

    /** The whole 227 reply line text, as vsftpd and most servers word it. */
    public static String passiveReplyText(Inet4Address address, int port) {
        return "Entering Passive Mode (" + format(address, port) + ").";
    }

    private static Optional<InetSocketAddress> fromGroups(Matcher m) {
        int[] n = new int[6];
        for (int i = 0; i < 6; i++) {
            n[i] = Integer.parseInt(m.group(i + 1));
            if (n[i] > 255) {
                return Optional.empty();
            }
        }
        int port = n[4] * 256 + n[5];
        if (port == 0) {
            return Optional.empty();
        }
        byte[] addr = {(byte) n[0], (byte) n[1], (byte) n[2], (byte) n[3]};
        try {
            return Optional.of(new InetSocketAddress(InetAddress.getByAddress(addr), port));
        } catch (UnknownHostException e) {
            return Optional.empty(); // cannot happen for a 4-byte array
        }
    }
}
