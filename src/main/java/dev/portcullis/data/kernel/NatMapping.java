package dev.portcullis.data.kernel;

import java.net.Inet4Address;

/**
 * One passive data connection the kernel forwards: a connection from {@code client} to
 * {@code publicAddress:publicPort} is sent to {@code backend:backendPort} from {@code source}
 * (the address of the proxy's own control connection to that backend, which servers such as
 * vsftpd insist data connections come from).
 */
public record NatMapping(Inet4Address client, Inet4Address publicAddress, int publicPort,
                         Inet4Address backend, int backendPort, Inet4Address source) {

    /** Both maps' key, as nft writes it: client . public address . public port (the connection as the client makes it). */
    public String key() {
        return client.getHostAddress() + " . " + publicAddress.getHostAddress() + " . " + publicPort;
    }

    @Override
    public String toString() {
        return client.getHostAddress() + " -> " + publicAddress.getHostAddress() + ":" + publicPort + " => "
                + source.getHostAddress() + " -> " + backend.getHostAddress() + ":" + backendPort;
    }
}
