package dev.portcullis.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Address comparisons that see through IPv4-mapped IPv6 addresses (::ffff:a.b.c.d). */
public final class Addresses {

    private Addresses() {
    }

    public static InetAddress unmap(InetAddress a) {
        if (a instanceof Inet6Address) {
            byte[] b = a.getAddress();
            boolean mapped = true;
            for (int i = 0; i < 10; i++) {
                mapped &= b[i] == 0;
            }
            mapped &= b[10] == (byte) 0xff && b[11] == (byte) 0xff;
            if (mapped) {
                try {
                    return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
                } catch (UnknownHostException e) {
                    return a;
                }
            }
        }
        return a;
    }

    public static boolean sameHost(InetAddress a, InetAddress b) {
        return unmap(a).equals(unmap(b));
    }

    /** The IPv4 form of an address if it has one (plain or mapped), else null. */
    public static Inet4Address ipv4(InetAddress a) {
        InetAddress u = unmap(a);
        return u instanceof Inet4Address v4 ? v4 : null;
    }

    /** The wildcard address (0.0.0.0 or ::) of {@code a}'s family. */
    public static InetAddress wildcardFor(InetAddress a) {
        try {
            return unmap(a) instanceof Inet4Address ? InetAddress.getByAddress(new byte[4]) : InetAddress.getByAddress(new byte[16]);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An address for log lines: {@code host:port}, an IPv6 host in brackets; anything else as its string. */
    public static String format(Object address) {
        if (address instanceof java.net.InetSocketAddress a) {
            String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
            return (a.getAddress() instanceof java.net.Inet6Address ? "[" + host + "]" : host) + ":" + a.getPort();
        }
        return String.valueOf(address);
    }
}
