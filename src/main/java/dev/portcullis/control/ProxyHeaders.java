package dev.portcullis.control;

import dev.portcullis.config.ProxyProtocolConfig.SendVersion;
import dev.portcullis.net.Addresses;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The PROXY protocol header Portcullis sends to a backend (proxy-protocol.send-to-backend): pure
 * functions from the client's and the listener's addresses to bytes.
 */
public final class ProxyHeaders {

    private ProxyHeaders() {
    }

    /**
     * The header for a session of {@code client} that reached the listener at {@code listener}. An
     * IPv4 client on an IPv6 listener (or the reverse) cannot be expressed: v1 says UNKNOWN, v2 LOCAL.
     */
    public static byte[] encode(SendVersion version, InetSocketAddress client, InetSocketAddress listener) {
        InetAddress src = Addresses.unmap(client.getAddress());
        InetAddress dst = Addresses.unmap(listener.getAddress());
        boolean sameFamily = (src instanceof Inet4Address) == (dst instanceof Inet4Address);
        if (!sameFamily) {
            return noClient(version);
        }
        if (version == SendVersion.OFF) {
            return new byte[0];
        }
        return encoded(new HAProxyMessage(version == SendVersion.V1 ? HAProxyProtocolVersion.V1 : HAProxyProtocolVersion.V2,
                HAProxyCommand.PROXY, src instanceof Inet4Address ? HAProxyProxiedProtocol.TCP4 : HAProxyProxiedProtocol.TCP6,
                src.getHostAddress(), dst.getHostAddress(), client.getPort(), listener.getPort()));
    }

    /** A header that names no client: for health checks, and where the families differ. */
    public static byte[] noClient(SendVersion version) {
        return switch (version) {
            case OFF -> new byte[0];
            // Netty's encoder fails on a v1 UNKNOWN header (it writes the absent addresses): the spec's line.
            case V1 -> "PROXY UNKNOWN\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            case V2 -> encoded(new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.LOCAL, HAProxyProxiedProtocol.UNKNOWN,
                    null, null, 0, 0));
        };
    }

    /** The header's bytes, as netty-codec-haproxy's encoder writes them (both versions). */
    private static byte[] encoded(HAProxyMessage m) {
        EmbeddedChannel encoder = new EmbeddedChannel(HAProxyMessageEncoder.INSTANCE);
        try {
            encoder.writeOutbound(m);
            ByteBuf encoded = encoder.readOutbound();
            byte[] bytes = new byte[encoded.readableBytes()];
            encoded.readBytes(bytes);
            encoded.release();
            return bytes;
        } finally {
            encoder.finishAndReleaseAll();
        }
    }
}
