package dev.portcullis.data.kernel;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** The mapping the nat tests use: client 198.51.100.10 to the edge's 198.51.100.1, on to 203.0.113.10. */
final class TestMappings {

    private TestMappings() {
    }

    static Inet4Address ip(String s) throws UnknownHostException {
        return (Inet4Address) InetAddress.getByName(s);
    }

    static NatMapping mapping(int publicPort, int backendPort) throws UnknownHostException {
        return new NatMapping(ip("198.51.100.10"), ip("198.51.100.1"), publicPort, ip("203.0.113.10"), backendPort, ip("203.0.113.1"));
    }
}
