package dev.portcullis.config;

import dev.portcullis.net.Cidr;
import java.net.InetAddress;
import java.util.List;

/**
 * PROXY protocol (HAProxy v1 and v2) on the control listeners, for Portcullis behind an L4 balancer.
 *
 * @param accept        the control listeners require a PROXY header and use its source as the client's address
 * @param dataPeerCheck how passive data connections are matched to the client: {@code address} (their TCP
 *                      source must be the client's real address: balancers that keep client addresses, or no
 *                      balancer on the data ports), {@code proxy-header} (every passive data connection must start with
 *                      a PROXY header, as when the balancer also fronts the passive ports, and the header's
 *                      source must be the client's real address) or {@code off} (any source; port, session
 *                      and time still bind)
 * @param sendToBackend send a PROXY header to the backend so that it logs the real client: off, v1 or v2
 * @param trustedBalancers the only peers whose PROXY headers are believed (the balancers' addresses); a
 *                      connection from anyone else is closed without a byte, since a header is a claim
 *                      anyone could make and bans, limits and the PORT check all rest on it. Loopback by default.
 */
public record ProxyProtocolConfig(boolean accept, DataPeerCheck dataPeerCheck, SendVersion sendToBackend,
                                  List<Cidr> trustedBalancers) {

    /** Loopback only: a balancer on this host, or nothing until the balancers' addresses are configured. */
    public static final List<Cidr> LOOPBACK = List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1"));

    public static final ProxyProtocolConfig OFF = new ProxyProtocolConfig(false, DataPeerCheck.ADDRESS, SendVersion.OFF);

    public ProxyProtocolConfig {
        trustedBalancers = List.copyOf(trustedBalancers == null ? LOOPBACK : trustedBalancers);
    }

    public ProxyProtocolConfig(boolean accept, DataPeerCheck dataPeerCheck, SendVersion sendToBackend) {
        this(accept, dataPeerCheck, sendToBackend, LOOPBACK);
    }

    /** Whether a header from {@code peer} may be believed. */
    public boolean trusts(InetAddress peer) {
        return trustedBalancers.stream().anyMatch(n -> n.contains(peer));
    }

    /** Whether the trusted list admits every address (an explicit loosening, logged at start). */
    public boolean trustsAnyone() {
        return trustedBalancers.stream().anyMatch(n -> n.prefix() == 0);
    }

    /** See {@link ProxyProtocolConfig#dataPeerCheck}. */
    public enum DataPeerCheck { ADDRESS, PROXY_HEADER, OFF }

    /** See {@link ProxyProtocolConfig#sendToBackend}. */
    public enum SendVersion { OFF, V1, V2 }
}
