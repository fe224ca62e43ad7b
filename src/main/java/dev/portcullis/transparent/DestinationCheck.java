package dev.portcullis.transparent;

import dev.portcullis.config.TransparentConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Whether a transparent-mode connection may be relayed to its original destination: it must have
 * one, inside transparent.allow-destinations, and not be the proxy's own listener (a loop).
 */
public final class DestinationCheck {

    private DestinationCheck() {
    }

    /**
     * @param destination  the original destination, if the kernel knew one
     * @param listenerPort the port of the listener that accepted the connection
     * @param isLocal      whether an address belongs to this host
     * @return why the connection is refused, worded for the client, or empty when it may go on
     */
    public static Optional<String> refusal(TransparentConfig config, Optional<InetSocketAddress> destination, int listenerPort,
                                           Predicate<InetAddress> isLocal) {
        if (destination.isEmpty()) {
            return Optional.of("the original destination of this connection is unknown (was it redirected here?)");
        }
        InetSocketAddress dst = destination.get();
        if (config.allowDestinations().stream().noneMatch(n -> n.contains(dst.getAddress()))) {
            return Optional.of(dst.getAddress().getHostAddress() + ":" + dst.getPort() + " is not an allowed FTP server");
        }
        if (dst.getPort() == listenerPort && (dst.getAddress().isLoopbackAddress() || isLocal.test(dst.getAddress()))) {
            return Optional.of("the connection was made to the proxy itself, not redirected");
        }
        return Optional.empty();
    }

    /** This host's addresses, as the kernel lists them. */
    public static boolean isLocalAddress(InetAddress a) {
        try {
            return java.net.NetworkInterface.getByInetAddress(a) != null;
        } catch (java.net.SocketException e) {
            return false;
        }
    }
}
