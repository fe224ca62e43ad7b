package dev.portcullis.net;

import java.net.InetAddress;

/** A network in CIDR notation ({@code 203.0.113.0/24}, {@code 2001:db8::/32}); a bare address is a /32 or /128. */
public record Cidr(byte[] network, int prefix) {

    public static Cidr parse(String text) {
        String s = text.strip();
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        java.util.Optional<InetAddress> a = addr.contains(":")
                ? dev.portcullis.ftp.ExtendedHostPort.parseIpv6Literal(addr)
                : dev.portcullis.ftp.ExtendedHostPort.parseIpv4Literal(addr);
        if (a.isEmpty()) {
            throw new IllegalArgumentException("expected an IP network such as 203.0.113.0/24 or 2001:db8::/32");
        }
        byte[] bytes = a.get().getAddress();
        int max = bytes.length * 8;
        int prefix;
        try {
            prefix = slash < 0 ? max : Integer.parseInt(s.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected a prefix length 0-" + max + " after '/'");
        }
        if (prefix < 0 || prefix > max) {
            throw new IllegalArgumentException("expected a prefix length 0-" + max + " after '/'");
        }
        return new Cidr(bytes, prefix);
    }

    public boolean contains(InetAddress address) {
        byte[] a = dev.portcullis.net.Addresses.unmap(address).getAddress();
        if (a.length != network.length) {
            return false;
        }
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (a[i] != network[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xFF << (8 - rest)) & 0xFF;
        return (a[full] & mask) == (network[full] & mask);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefix == prefix && java.util.Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(network) * 31 + prefix;
    }

    @Override
    public String toString() {
        try {
            return InetAddress.getByAddress(network).getHostAddress() + "/" + prefix;
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
