package dev.portcullis.rewrite;

import dev.portcullis.ftp.ExtendedHostPort;
import dev.portcullis.ftp.FtpReply;
import dev.portcullis.ftp.HostPort;
import dev.portcullis.net.Addresses;
import java.net.Inet4Address;
import java.net.InetSocketAddress;

/**
 * What NAT breaks, rebuilt: the data addresses the proxy puts on each side instead of the other
 * side's. Towards the client, the 227/229 naming the proxy's own passive port (and its public
 * address); towards the backend, the PORT/EPRT naming the proxy's own listener. Pure functions.
 */
public final class DataAddressRewriter {

    private DataAddressRewriter() {
    }

    /**
     * The reply to a client's PASV or EPSV: {@code 227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).}
     * with {@code announce}, or {@code 229 Entering Extended Passive Mode (|||port|)}.
     */
    public static FtpReply passiveReply(boolean extended, Inet4Address announce, int port) {
        return extended
                ? FtpReply.of(229, ExtendedHostPort.extendedPassiveReplyText(port))
                : FtpReply.of(227, HostPort.passiveReplyText(announce, port));
    }

    /** The command announcing the proxy's listener to the backend: PORT for IPv4, EPRT otherwise (RFC 2428). */
    public static String activeCommand(InetSocketAddress listener) {
        Inet4Address v4 = Addresses.ipv4(listener.getAddress());
        return v4 != null ? "PORT " + HostPort.format(v4, listener.getPort()) : "EPRT " + ExtendedHostPort.formatEprt(listener);
    }
}
