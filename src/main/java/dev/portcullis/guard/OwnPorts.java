package dev.portcullis.guard;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ports this proxy listens on (control, implicit FTPS, admin, and the passive range), so that a
 * PORT/EPRT can never aim a data connection at the proxy itself: a client could otherwise make the
 * proxy replay an uploaded file into its own admin listener, which trusts loopback callers.
 * Filled in as the listeners bind (a port 0 in the config is known only then).
 */
public final class OwnPorts {

    private final Set<Integer> listening = ConcurrentHashMap.newKeySet();
    private final int passiveLow;
    private final int passiveHigh;

    public OwnPorts(int passiveLow, int passiveHigh) {
        this.passiveLow = passiveLow;
        this.passiveHigh = passiveHigh;
    }

    public void listening(int port) {
        listening.add(port);
    }

    /** Whether {@code port} on {@code address} would reach one of this proxy's own sockets. */
    public boolean isOwn(InetAddress address, int port) {
        boolean ownPort = listening.contains(port) || (port >= passiveLow && port <= passiveHigh);
        return ownPort && isThisHost(address);
    }

    private static boolean isThisHost(InetAddress address) {
        if (address.isLoopbackAddress() || address.isAnyLocalAddress()) {
            return true;
        }
        try {
            return NetworkInterface.getByInetAddress(address) != null;
        } catch (SocketException e) {
            return true; // cannot tell: refuse rather than risk connecting to ourselves
        }
    }
}
