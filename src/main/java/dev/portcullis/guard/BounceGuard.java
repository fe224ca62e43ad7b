package dev.portcullis.guard;

import dev.portcullis.policy.Verdict;
import dev.portcullis.net.Addresses;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Refuses PORT/EPRT targets that would make the proxy connect somewhere other than back to the
 * client: the FTP bounce attack (RFC 2577) and FXP. Privileged ports are refused too, so a client
 * cannot point a data connection at SMTP, telnet or the FTP control port of its own host either.
 */
public final class BounceGuard {

    private final boolean allowForeignAddress;
    private final boolean allowPrivilegedPorts;
    private final OwnPorts ownPorts;

    public BounceGuard(boolean allowForeignAddress, boolean allowPrivilegedPorts) {
        this(allowForeignAddress, allowPrivilegedPorts, new OwnPorts(1, 0));
    }

    public BounceGuard(boolean allowForeignAddress, boolean allowPrivilegedPorts, OwnPorts ownPorts) {
        this.allowForeignAddress = allowForeignAddress;
        this.allowPrivilegedPorts = allowPrivilegedPorts;
        this.ownPorts = ownPorts;
    }

    public Verdict check(InetAddress clientAddress, InetSocketAddress announced, String verb) {
        if (!allowForeignAddress && !Addresses.sameHost(clientAddress, announced.getAddress())) {
            return Verdict.refuse(500, verb + " refused: the address " + announced.getAddress().getHostAddress()
                    + " is not your own (third-party transfers are disabled).", "bounce");
        }
        // No switch loosens this one: nothing legitimate needs the proxy to connect to itself.
        if (ownPorts.isOwn(announced.getAddress(), announced.getPort())) {
            return Verdict.refuse(500, verb + " refused: port " + announced.getPort()
                    + " is one of the proxy's own listening ports.", "bounce");
        }
        if (!allowPrivilegedPorts && announced.getPort() < 1024) {
            return Verdict.refuse(500, verb + " refused: data port " + announced.getPort()
                    + " is below 1024.", "bounce");
        }
        return Verdict.allow();
    }
}
