package dev.portcullis.transparent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class TransparentSocketsTest {

    @Test
    void sockaddrInAsTheKernelReturnsIt() {
        // AF_INET (2, host order), port 21 (network order), 203.0.113.2, zero padding.
        ByteBuffer b = ByteBuffer.wrap(new byte[] {2, 0, 0, 21, (byte) 203, 0, 113, 2, 0, 0, 0, 0, 0, 0, 0, 0});
        assertThat(TransparentSockets.parseSockaddr(b)).isEqualTo(new InetSocketAddress("203.0.113.2", 21));
    }

    @Test
    void sockaddrIn6() {
        byte[] raw = new byte[28];
        raw[0] = 10;
        raw[2] = (byte) 0xC3;
        raw[3] = 0x50; // 50000
        byte[] addr = {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        System.arraycopy(addr, 0, raw, 8, 16);
        assertThat(TransparentSockets.parseSockaddr(ByteBuffer.wrap(raw))).isEqualTo(new InetSocketAddress("2001:db8::1", 50000));
    }

    @Test
    void unknownFamilyIsRefused() {
        assertThatThrownBy(() -> TransparentSockets.parseSockaddr(ByteBuffer.wrap(new byte[16]))).isInstanceOf(IllegalArgumentException.class);
    }
}
