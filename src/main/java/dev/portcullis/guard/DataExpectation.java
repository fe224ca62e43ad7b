package dev.portcullis.guard;

import dev.portcullis.net.Addresses;
import java.net.InetAddress;

/**
 * One expected data connection, like a netfilter conntrack expectation: which peer may connect to
 * which local port, for which session, until when. It is one-shot: the table removes it on the
 * first matching connection and never on a non-matching one.
 */
public record DataExpectation(String sessionId, InetAddress expectedPeer, int localPort, long expiresAtNanos) {

    public boolean isExpired(long nowNanos) {
        return nowNanos - expiresAtNanos >= 0;
    }

    /** A null {@code expectedPeer} admits any source (proxy-protocol.data-peer-check: off). */
    public boolean admits(InetAddress peer, long nowNanos) {
        return !isExpired(nowNanos) && (expectedPeer == null || Addresses.sameHost(expectedPeer, peer));
    }
}
