package dev.portcullis.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.config.ProxyProtocolConfig.SendVersion;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProxyHeadersTest {

    private static final InetSocketAddress CLIENT = new InetSocketAddress("198.51.100.77", 40000);
    private static final InetSocketAddress LISTENER = new InetSocketAddress("192.0.2.1", 21);

    private static HAProxyMessage decode(byte[] header) {
        EmbeddedChannel ch = new EmbeddedChannel(new HAProxyMessageDecoder());
        ch.writeInbound(Unpooled.wrappedBuffer(header));
        HAProxyMessage m = ch.readInbound();
        ch.finishAndReleaseAll();
        return m;
    }

    @Test
    void v1AsTheSpecWritesIt() {
        assertThat(new String(ProxyHeaders.encode(SendVersion.V1, CLIENT, LISTENER), StandardCharsets.US_ASCII))
                .isEqualTo("PROXY TCP4 198.51.100.77 192.0.2.1 40000 21\r\n");
        assertThat(new String(ProxyHeaders.encode(SendVersion.V1, new InetSocketAddress("2001:db8::7", 5),
                new InetSocketAddress("2001:db8::1", 2121)), StandardCharsets.US_ASCII))
                .isEqualTo("PROXY TCP6 2001:db8:0:0:0:0:0:7 2001:db8:0:0:0:0:0:1 5 2121\r\n");
        // An IPv4-mapped client on a dual-stack listener is an IPv4 client.
        assertThat(new String(ProxyHeaders.encode(SendVersion.V1, new InetSocketAddress("::ffff:198.51.100.77", 1),
                new InetSocketAddress("::ffff:192.0.2.1", 21)), StandardCharsets.US_ASCII)).startsWith("PROXY TCP4 198.51.100.77 192.0.2.1");
        assertThat(new String(ProxyHeaders.encode(SendVersion.V1, CLIENT, new InetSocketAddress("2001:db8::1", 21)),
                StandardCharsets.US_ASCII)).isEqualTo("PROXY UNKNOWN\r\n");
    }

    @Test
    void v2DecodesBackToTheSameAddresses() {
        HAProxyMessage m = decode(ProxyHeaders.encode(SendVersion.V2, CLIENT, LISTENER));
        assertThat(m.command()).isEqualTo(HAProxyCommand.PROXY);
        assertThat(m.proxiedProtocol()).isEqualTo(HAProxyProxiedProtocol.TCP4);
        assertThat(m.sourceAddress()).isEqualTo("198.51.100.77");
        assertThat(m.sourcePort()).isEqualTo(40000);
        assertThat(m.destinationAddress()).isEqualTo("192.0.2.1");
        assertThat(m.destinationPort()).isEqualTo(21);
        m.release();
    }

    @Test
    void noClientHeaders() {
        assertThat(ProxyHeaders.noClient(SendVersion.OFF)).isEmpty();
        assertThat(new String(ProxyHeaders.noClient(SendVersion.V1), StandardCharsets.US_ASCII)).isEqualTo("PROXY UNKNOWN\r\n");
        byte[] local = ProxyHeaders.noClient(SendVersion.V2);
        assertThat(local).hasSize(16);
        HAProxyMessage m = decode(local);
        assertThat(m.command()).isEqualTo(HAProxyCommand.LOCAL);
        m.release();
    }
}
