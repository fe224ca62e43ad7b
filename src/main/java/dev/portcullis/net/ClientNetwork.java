package dev.portcullis.net;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * What limits, port budgets and bans count a client by: an IPv4 address as it is, an IPv6 address
 * by its network of a configured prefix length ({@code limits.ipv6-prefix}, /64 by default). A
 * host is normally given a whole /64 and can use a fresh address for every connection, so per
 * /128 counting would give it billions of allowances.
 */
public final class ClientNetwork {

    private ClientNetwork() {
    }

    /** The key for {@code address}: IPv4 (and IPv4-mapped IPv6) unchanged, IPv6 with the bits past {@code ipv6Prefix} cleared. */
    public static InetAddress of(InetAddress address, int ipv6Prefix) {
        InetAddress a = Addresses.unmap(address);
        if (!(a instanceof Inet6Address) || ipv6Prefix >= 128) {
            return a;
        }
        byte[] bytes = a.getAddress();
        for (int bit = Math.max(0, ipv6Prefix); bit < 128; bit++) {
            bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        try {
            return InetAddress.getByAddress(bytes); // no scope id: the same network on any interface is one key
        } catch (UnknownHostException e) {
            throw new IllegalStateException("16 bytes are always an IPv6 address", e);
        }
    }
}
