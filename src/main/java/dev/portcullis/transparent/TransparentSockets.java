package dev.portcullis.transparent;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.RawUnixChannelOption;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Linux socket options of transparent mode, on the native epoll transport: IP_TRANSPARENT on
 * listeners (TPROXY delivers connections for other hosts' addresses) and on outgoing sockets (the
 * proxy connects from the client's address), and SO_ORIGINAL_DST (where a NAT REDIRECT/DNAT'ed
 * connection was going).
 */
public final class TransparentSockets {

    private static final int SOL_IP = 0;
    private static final int SOL_IPV6 = 41;
    /** SO_ORIGINAL_DST (linux/netfilter_ipv4.h) and IP6T_SO_ORIGINAL_DST (linux/netfilter_ipv6/ip6_tables.h). */
    private static final int SO_ORIGINAL_DST = 80;
    private static final RawUnixChannelOption ORIGINAL_DST_V4 = new RawUnixChannelOption("SO_ORIGINAL_DST", SOL_IP, SO_ORIGINAL_DST, 16);
    private static final RawUnixChannelOption ORIGINAL_DST_V6 = new RawUnixChannelOption("IP6T_SO_ORIGINAL_DST", SOL_IPV6, SO_ORIGINAL_DST, 28);

    private static final Logger log = LoggerFactory.getLogger("portcullis.transparent");

    private TransparentSockets() {
    }

    /**
     * Sets IP_TRANSPARENT on one socket (listening or outgoing) before it is bound; needs
     * CAP_NET_ADMIN. As a Netty bootstrap does with its options, a socket that refuses it (no
     * capability, not epoll) is logged and used as it is.
     */
    public static void transparent(Channel ch) {
        try {
            if (!ch.config().setOption(EpollChannelOption.IP_TRANSPARENT, true)) {
                log.warn("IP_TRANSPARENT is not supported by {}", ch.getClass().getSimpleName());
            }
        } catch (io.netty.channel.ChannelException e) {
            log.warn("IP_TRANSPARENT could not be set on {}: {}", ch, e.toString());
        }
    }

    /** The destination a NAT-redirected connection had before the redirect, if the kernel knows one. */
    public static Optional<InetSocketAddress> originalDestination(Channel ch) {
        if (!(ch instanceof EpollSocketChannel)) {
            return Optional.empty();
        }
        boolean v6 = ((InetSocketAddress) ch.localAddress()).getAddress() instanceof java.net.Inet6Address
                && !isMapped(((InetSocketAddress) ch.localAddress()).getAddress());
        try {
            ByteBuffer raw = ch.config().getOption(v6 ? ORIGINAL_DST_V6 : ORIGINAL_DST_V4);
            return raw == null ? Optional.empty() : Optional.of(parseSockaddr(raw));
        } catch (RuntimeException e) {
            return Optional.empty(); // ENOENT: not a NAT'ed connection
        }
    }

    /** A {@code struct sockaddr_in} or {@code sockaddr_in6} as the kernel returns it (port in network order). */
    static InetSocketAddress parseSockaddr(ByteBuffer raw) {
        ByteBuffer b = raw.duplicate().order(ByteOrder.BIG_ENDIAN);
        b.position(0);
        int family = Short.toUnsignedInt(Short.reverseBytes(b.getShort(0))); // sa_family is host order (little-endian here)
        int port = Short.toUnsignedInt(b.getShort(2));
        byte[] address;
        if (family == 2) {
            address = new byte[4];
            b.position(4);
            b.get(address);
        } else if (family == 10) {
            address = new byte[16];
            b.position(8);
            b.get(address);
        } else {
            throw new IllegalArgumentException("unknown address family " + family);
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(address), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static boolean isMapped(InetAddress a) {
        byte[] b = a.getAddress();
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return b[10] == (byte) 0xFF && b[11] == (byte) 0xFF;
    }
}
