package dev.portcullis.guard;

import dev.portcullis.config.DataPolicy.BackendPasvAddress;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Where the proxy connects for a backend's passive data: by default the backend's control address,
 * whatever its 227 announced. Backends behind NAT announce private or 0.0.0.0 addresses, and
 * honouring the announcement would let a backend aim the proxy at any host (a bounce from the
 * inside); data.backend-pasv-address: announced trusts it, except the wildcard.
 */
public final class BackendAddressTrust {

    private BackendAddressTrust() {
    }

    public static InetAddress dataHost(BackendPasvAddress trust, InetSocketAddress announced, InetAddress controlPeer) {
        return trust == BackendPasvAddress.ANNOUNCED && !announced.getAddress().isAnyLocalAddress()
                ? announced.getAddress() : controlPeer;
    }
}
