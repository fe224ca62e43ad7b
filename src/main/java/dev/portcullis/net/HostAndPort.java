package dev.portcullis.net;

import java.net.InetSocketAddress;

/** A host (name or literal, unresolved) and a port, as written in the config: {@code host:port} or {@code [v6]:port}. */
public record HostAndPort(String host, int port) {

    public static HostAndPort parse(String text) {
        String s = text.strip();
        String host;
        String port;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("expected [IPv6]:PORT");
            }
            host = s.substring(1, close);
            port = s.substring(close + 2);
        } else {
            int colon = s.lastIndexOf(':');
            if (colon <= 0 || s.indexOf(':') != colon) {
                throw new IllegalArgumentException("expected HOST:PORT (IPv6 as [ADDR]:PORT)");
            }
            host = s.substring(0, colon);
            port = s.substring(colon + 1);
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("expected a host before ':'");
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected a port number 1-65535 after ':'");
        }
        if (p < 1 || p > 65535) {
            throw new IllegalArgumentException("expected a port number 1-65535 after ':'");
        }
        return new HostAndPort(host, p);
    }

    /** A resolved address for an IP literal; an unresolved one for a name (looked up per session). */
    public InetSocketAddress socketAddress() {
        java.util.Optional<java.net.InetAddress> literal = host.contains(":")
                ? dev.portcullis.ftp.ExtendedHostPort.parseIpv6Literal(host)
                : dev.portcullis.ftp.ExtendedHostPort.parseIpv4Literal(host);
        return literal.map(a -> new InetSocketAddress(a, port)).orElseGet(() -> InetSocketAddress.createUnresolved(host, port));
    }

    @Override
    public String toString() {
        return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
    }
}
