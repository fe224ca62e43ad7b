package dev.portcullis.data.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class NftNetlinkTest {

    private static NatMapping mapping() throws Exception {
        return TestMappings.mapping(50001, 40001);
    }

    @Test
    void theKeyIsWhatNftWrites() throws Exception {
        // nft --debug=netlink add element ... { 198.51.100.10 . 198.51.100.1 . 50001 ... } prints the key as
        // 32-bit words in host order: 0a6433c6 016433c6 000051c3 (the port in network order, then padding).
        assertThat(HexFormat.of().formatHex(NftNetlink.key(mapping()))).isEqualTo("c633640a" + "c6336401" + "c3510000");
    }

    private static ByteBuffer buffer() {
        return ByteBuffer.allocateDirect(1024).order(ByteOrder.nativeOrder());
    }

    private record Message(int type, int flags, int seq, byte[] body) {
    }

    private static List<Message> messages(ByteBuffer b) {
        List<Message> out = new ArrayList<>();
        while (b.remaining() >= 16) {
            int start = b.position();
            int len = b.getInt(start);
            byte[] body = new byte[len - 16];
            b.get(start + 16, body);
            out.add(new Message(b.getShort(start + 4) & 0xffff, b.getShort(start + 6) & 0xffff, b.getInt(start + 8), body));
            b.position(start + len);
        }
        return out;
    }

    @Test
    void anAddIsOneBatchOfTwoAcknowledgedElements() throws Exception {
        ByteBuffer batch = NftNetlink.add(buffer(), "pc", mapping(), Duration.ofSeconds(40), 100);
        int total = batch.remaining();
        List<Message> m = messages(batch);
        assertThat(batch.position()).isEqualTo(total);
        assertThat(m).extracting(Message::type).containsExactly(0x10, (10 << 8) | 12, (10 << 8) | 12, 0x11);
        assertThat(m).extracting(Message::seq).containsExactly(100, 101, 102, 103);
        assertThat(m.get(1).flags() & 0x405).isEqualTo(0x405); // REQUEST | ACK | CREATE
        String snat = new String(m.get(1).body(), StandardCharsets.ISO_8859_1);
        String dnat = new String(m.get(2).body(), StandardCharsets.ISO_8859_1);
        assertThat(snat).contains("pc\0").contains("data_snat\0");
        assertThat(dnat).contains("pc\0").contains("data_dnat\0");
        // data_dnat's value: the backend's address and port; data_snat's: the proxy's source address.
        assertThat(HexFormat.of().formatHex(m.get(2).body())).contains("cb00710a" + "9c410000").contains("c633640ac6336401c3510000");
        assertThat(HexFormat.of().formatHex(m.get(1).body())).contains("cb007101");
        // The timeout: 40,000 ms as a big-endian 64-bit number.
        assertThat(HexFormat.of().formatHex(m.get(1).body())).contains("0000000000009c40");
    }

    @Test
    void aRemoveCarriesOnlyTheKeys() throws Exception {
        List<Message> m = messages(NftNetlink.remove(buffer(), "pc", mapping(), 7));
        assertThat(m).extracting(Message::type).containsExactly(0x10, (10 << 8) | 14, (10 << 8) | 14, 0x11);
        assertThat(new String(m.get(1).body(), StandardCharsets.ISO_8859_1)).contains("data_dnat\0");
        assertThat(HexFormat.of().formatHex(m.get(1).body())).contains("c633640ac6336401c3510000").doesNotContain("cb00710a");
    }

    @Test
    void answersAreReadWithTheirSequenceAndErrno() {
        ByteBuffer b = ByteBuffer.allocate(128).order(ByteOrder.nativeOrder());
        for (int[] answer : new int[][] {{101, 0}, {102, -2}}) {
            int start = b.position();
            b.putInt(36).putShort((short) 2).putShort((short) 0).putInt(answer[0]).putInt(0); // NLMSG_ERROR
            b.putInt(answer[1]).putInt(16).putShort((short) 0).putShort((short) 0).putInt(answer[0]).putInt(0);
            assertThat(b.position() - start).isEqualTo(36);
        }
        b.flip();
        List<String> seen = new ArrayList<>();
        assertThat(NftNetlink.answers(b, (seq, errno) -> seen.add(seq + ":" + errno))).isEqualTo(2);
        assertThat(seen).containsExactly("101:0", "102:2");
    }
}
