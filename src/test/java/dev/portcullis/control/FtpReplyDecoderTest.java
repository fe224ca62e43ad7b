package dev.portcullis.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.ftp.FtpReply;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FtpReplyDecoderTest {

    private static List<FtpReply> decodeByteByByte(String input, int maxLines) {
        EmbeddedChannel ch = new EmbeddedChannel(new FtpReplyDecoder(4096, maxLines));
        for (byte b : input.getBytes(StandardCharsets.ISO_8859_1)) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        List<FtpReply> out = new ArrayList<>();
        FtpReply r;
        while ((r = ch.readInbound()) != null) {
            out.add(r);
        }
        ch.finish();
        return out;
    }

    @Test
    void singleLineRepliesKeepTheirRawBytes() {
        List<FtpReply> out = decodeByteByByte("220 ready\r\n331 pw\n200\r\n", 100);
        assertThat(out).extracting(FtpReply::code).containsExactly(220, 331, 200);
        assertThat(new String(out.get(0).raw(), StandardCharsets.ISO_8859_1)).isEqualTo("220 ready\r\n");
        assertThat(new String(out.get(1).raw(), StandardCharsets.ISO_8859_1)).isEqualTo("331 pw\n");
        assertThat(out.get(0).text()).isEqualTo("ready");
    }

    @Test
    void multiLineReplyWithCodelessContinuationLines() {
        // RFC 959 4.2: lines between the first and the last need not start with the code (IIS omits it).
        String feat = "211-Features:\r\n EPSV\r\n MDTM\r\n211x is no end line\r\n"
                + "211-still inside\r\n 212 also inside\r\n211 End\r\n";
        List<FtpReply> out = decodeByteByByte(feat, 100);
        assertThat(out).hasSize(1);
        assertThat(out.get(0).code()).isEqualTo(211);
        assertThat(out.get(0).lines()).hasSize(7).endsWith("211 End");
        assertThat(new String(out.get(0).raw(), StandardCharsets.ISO_8859_1)).isEqualTo(feat);
    }

    @Test
    void otherCodeInsideMultiLineDoesNotEndIt() {
        List<FtpReply> out = decodeByteByByte("230-Welcome\r\n220 not the end\r\n230 Logged in\r\n", 100);
        assertThat(out).singleElement().satisfies(r -> assertThat(r.lines()).hasSize(3));
    }

    @Test
    void boundedInLines() {
        StringBuilder sb = new StringBuilder("211-start\r\n");
        for (int i = 0; i < 20; i++) {
            sb.append(" line ").append(i).append("\r\n");
        }
        assertThatThrownBy(() -> decodeByteByByte(sb.toString(), 10)).isInstanceOf(DecoderException.class);
    }

    @Test
    void refusesALineWithoutACode() {
        assertThatThrownBy(() -> decodeByteByByte("hello\r\n", 10)).isInstanceOf(DecoderException.class);
        assertThatThrownBy(() -> decodeByteByByte("999 no\r\n", 10)).isInstanceOf(DecoderException.class);
        assertThatThrownBy(() -> decodeByteByByte("22x\r\n", 10)).isInstanceOf(DecoderException.class);
    }

    @Test
    void boundedInLineLength() {
        EmbeddedChannel ch = new EmbeddedChannel(new FtpReplyDecoder(64, 10));
        assertThatThrownBy(() -> ch.writeInbound(Unpooled.wrappedBuffer(("200 " + "x".repeat(100)).getBytes(StandardCharsets.US_ASCII))))
                .isInstanceOf(DecoderException.class);
    }

    @Test
    void clearTextBehindA234IsDiscardedUntilTlsIsUp() {
        FtpReplyDecoder decoder = new FtpReplyDecoder(4096, 100);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        decoder.authTlsSent();
        ch.writeInbound(Unpooled.wrappedBuffer("234 go ahead\r\n230 injected login\r\n".getBytes(StandardCharsets.ISO_8859_1)));
        assertThat(((FtpReply) ch.readInbound()).code()).isEqualTo(234);
        ch.writeInbound(Unpooled.wrappedBuffer("200 PBSZ=0\r\n".getBytes(StandardCharsets.ISO_8859_1)));
        assertThat((Object) ch.readInbound()).as("clear text before the handshake").isNull();
        decoder.clearTextEnded();
        ch.writeInbound(Unpooled.wrappedBuffer("200 PBSZ=0\r\n".getBytes(StandardCharsets.ISO_8859_1)));
        assertThat(((FtpReply) ch.readInbound()).code()).isEqualTo(200);
        ch.finishAndReleaseAll();
    }

    @Test
    void aBlankLineBetweenRepliesIsSkipped() {
        List<FtpReply> out = decodeByteByByte("213 51\r\n\r\n \r\n350 Restarting\r\n", 100);
        assertThat(out).extracting(FtpReply::code).containsExactly(213, 350);
        assertThat(new String(out.get(1).raw(), StandardCharsets.ISO_8859_1)).isEqualTo("350 Restarting\r\n");
    }

    @Test
    void a234TheProxyDidNotAskForEndsNothing() {
        List<FtpReply> out = decodeByteByByte("234 out of turn\r\n200 still heard\r\n", 100);
        assertThat(out).extracting(FtpReply::code).containsExactly(234, 200);
    }
}
