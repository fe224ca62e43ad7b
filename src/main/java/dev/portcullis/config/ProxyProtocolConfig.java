package dev.portcullis.config;

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
 */
public record ProxyProtocolConfig(boolean accept, DataPeerCheck dataPeerCheck, SendVersion sendToBackend) {

    public static final ProxyProtocolConfig OFF = new ProxyProtocolConfig(false, DataPeerCheck.ADDRESS, SendVersion.OFF);

    /** See {@link ProxyProtocolConfig#dataPeerCheck}. */
    public enum DataPeerCheck { ADDRESS, PROXY_HEADER, OFF }

    /** See {@link ProxyProtocolConfig#sendToBackend}. */
    public enum SendVersion { OFF, V1, V2 }
}
