package dev.portcullis.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.ftp.FtpCommand;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FtpCommandDecoderTest {

    private static List<Object> decodeByteByByte(int maxLine, byte[] input) {
        EmbeddedChannel ch = new EmbeddedChannel(new FtpCommandDecoder(maxLine));
        for (byte b : input) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        List<Object> out = new ArrayList<>();
        Object o;
        while ((o = ch.readInbound()) != null) {
            out.add(o);
        }
        assertThat(ch.finish()).isFalse();
        return out;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String line(Object o) {
        return new String(((FtpCommand) o).line(), StandardCharsets.ISO_8859_1);
    }

    @Test
    void framesCrLfAndBareLf() {
        List<Object> out = decodeByteByByte(4096, bytes("USER anonymous\r\nPASS x\nNOOP\r\n"));
        assertThat(out).hasSize(3);
        assertThat(line(out.get(0))).isEqualTo("USER anonymous");
        assertThat(line(out.get(1))).isEqualTo("PASS x");
        assertThat(((FtpCommand) out.get(2)).verb()).isEqualTo("NOOP");
    }

    @Test
    void holdsAnUnterminatedLine() {
        assertThat(decodeByteByByte(4096, bytes("NOOP"))).isEmpty();
    }

    @Test
    void passesUtf8AndUnknownVerbsByteExact() {
        byte[] in = "OPTS UTF8 ON\r\nRETR \u00fcber/\u65e5\u672c.txt\r\nXYZZY  two  spaces \r\nSITE CHMOD 644 f\r\n"
                .getBytes(StandardCharsets.UTF_8);
        List<Object> out = decodeByteByByte(4096, in);
        assertThat(out).hasSize(4);
        assertThat(((FtpCommand) out.get(1)).argumentUtf8()).isEqualTo("\u00fcber/\u65e5\u672c.txt");
        assertThat(new String(((FtpCommand) out.get(2)).wireBytes(), StandardCharsets.UTF_8)).isEqualTo("XYZZY  two  spaces \r\n");
        assertThat(((FtpCommand) out.get(3)).verb()).isEqualTo("SITE");
    }

    @Test
    void stripsTelnetInterruptAndSynchBeforeAbor() {
        // What lftp and ftp(1) send: IAC IP, IAC DM (urgent), then ABOR.
        byte[] in = {(byte) 0xff, (byte) 0xf4, (byte) 0xff, (byte) 0xf2, 'A', 'B', 'O', 'R', '\r', '\n'};
        List<Object> out = decodeByteByByte(4096, in);
        assertThat(out).hasSize(1);
        assertThat(line(out.get(0))).isEqualTo("ABOR");
    }

    @Test
    void aLiteral0xFfIsRefusedAndOptionNegotiationIsDropped() {
        // IAC IAC stands for 0xFF, which backends read differently (ProFTPD: an IAC eating the next byte).
        byte[] in = {'R', 'E', 'T', 'R', ' ', 'a', (byte) 0xff, (byte) 0xff, 'b', '\r', '\n',
            'R', 'E', 'T', 'R', ' ', 'c', (byte) 0xff, (byte) 0xfb, 0x01, '\r', '\n'};
        List<Object> out = decodeByteByByte(4096, in);
        assertThat(out.get(0)).isEqualTo(CommandFrameError.LITERAL_IAC);
        assertThat(line(out.get(1))).isEqualTo("RETR c");
    }

    /** Table: Telnet sequences are removed per RFC 854 before the line is parsed. */
    @Test
    void telnetSequencesPerRfc854() {
        Object[][] table = {
            // BSD ftp's ABOR with the urgent DM taken out of the stream by the kernel: IAC IP IAC A B O R
            {new byte[] {(byte) 0xff, (byte) 0xf4, (byte) 0xff, 'A', 'B', 'O', 'R', '\r', '\n'}, "ABOR"},
            // the same with SO_OOBINLINE (the DM in band)
            {new byte[] {(byte) 0xff, (byte) 0xf4, (byte) 0xff, (byte) 0xf2, 'A', 'B', 'O', 'R', '\r', '\n'}, "ABOR"},
            // IAC IP inside the verb: removed, the verb is what is left
            {new byte[] {'D', 'E', (byte) 0xff, (byte) 0xf4, 'L', 'E', ' ', 'f', '\r', '\n'}, "DELE f"},
            // IAC NOP, IAC SE, IAC GA
            {new byte[] {(byte) 0xff, (byte) 0xf1, 'N', (byte) 0xff, (byte) 0xf0, 'O', 'O', (byte) 0xff, (byte) 0xf9, 'P', '\r', '\n'}, "NOOP"},
            // IAC DO option, IAC WONT option
            {new byte[] {(byte) 0xff, (byte) 0xfd, 0x03, 'N', 'O', (byte) 0xff, (byte) 0xfc, 'X', 'O', 'P', '\r', '\n'}, "NOOP"},
            // a lone IAC before a byte that is no Telnet command drops only the IAC
            {new byte[] {'D', 'E', (byte) 0xff, 'L', 'E', ' ', 'f', '\r', '\n'}, "DELE f"},
            // IAC before the LF: the LF still ends the line
            {new byte[] {'N', 'O', 'O', 'P', '\r', (byte) 0xff, '\n'}, "NOOP"},
        };
        for (Object[] row : table) {
            List<Object> out = decodeByteByByte(4096, (byte[]) row[0]);
            assertThat(out).as(row[1].toString()).hasSize(1);
            assertThat(line(out.get(0))).isEqualTo(row[1]);
        }
    }

    /** Item 8: a CR anywhere but before the final LF refuses the line; it is never a command. */
    @Test
    void aCrInsideTheLineIsRefused() {
        for (String in : List.of("\r\r\n", "NOOP\rQUIT\r\n", "\r\rNOOP\r\n", "DELE f\r\r\n", "\r\u00ff\u00f1\r\n")) {
            assertThat(decodeByteByByte(4096, bytes(in))).as(in.replace("\r", "\\r")).containsExactly(CommandFrameError.STRAY_CR);
        }
        assertThat(decodeByteByByte(4096, bytes("\r\n"))).hasSize(1).allMatch(o -> o instanceof FtpCommand c && c.line().length == 0);
    }

    @Test
    void refusesNulBytes() {
        List<Object> out = decodeByteByByte(4096, bytes("RETR a\0b\r\nNOOP\r\n"));
        assertThat(out.get(0)).isEqualTo(CommandFrameError.NUL_BYTE);
        assertThat(((FtpCommand) out.get(1)).verb()).isEqualTo("NOOP");
    }

    @Test
    void overlongLineYieldsOneErrorThenRecovers() {
        String longArg = "x".repeat(100);
        List<Object> out = decodeByteByByte(64, bytes("RETR " + longArg + "\r\nNOOP\r\n"));
        assertThat(out).containsExactly(CommandFrameError.TOO_LONG, out.get(1));
        assertThat(((FtpCommand) out.get(1)).verb()).isEqualTo("NOOP");
    }

    @Test
    void lineOfExactlyTheLimitIsAccepted() {
        String cmd = "RETR " + "y".repeat(64 - 5);
        List<Object> out = decodeByteByByte(64, bytes(cmd + "\r\n"));
        assertThat(line(out.get(0))).isEqualTo(cmd);
        assertThat(decodeByteByByte(64, bytes(cmd + "z\r\n"))).containsExactly(CommandFrameError.TOO_LONG);
    }

    @Test
    void floodWithoutLineEndKeepsCountingAsAbuse() {
        EmbeddedChannel ch = new EmbeddedChannel(new FtpCommandDecoder(64));
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[64 * 10]));
        int errors = 0;
        while (ch.readInbound() != null) {
            errors++;
        }
        assertThat(errors).isGreaterThanOrEqualTo(9);
        ch.finish();
    }

    @Test
    void nothingBehindAuthIsFramedAndTlsDiscardsIt() {
        FtpCommandDecoder decoder = new FtpCommandDecoder(4096);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        ch.writeInbound(Unpooled.wrappedBuffer(bytes("AUTH TLS\r\nUSER anonymous\r\nPA")));
        assertThat(((FtpCommand) ch.readInbound()).verb()).isEqualTo("AUTH");
        ch.writeInbound(Unpooled.wrappedBuffer(bytes("SS x\r\n")));
        assertThat((Object) ch.readInbound()).as("held behind AUTH").isNull();
        decoder.discardClearText();
        ch.writeInbound(Unpooled.wrappedBuffer(bytes("NOOP\r\n")));
        assertThat(line(ch.readInbound())).isEqualTo("NOOP");
        ch.runPendingTasks();
        assertThat((Object) ch.readInbound()).isNull();
        ch.finishAndReleaseAll();
    }

    @Test
    void aRefusedAuthLetsWhatFollowedItBeFramed() {
        FtpCommandDecoder decoder = new FtpCommandDecoder(4096);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        ch.writeInbound(Unpooled.wrappedBuffer(bytes("AUTH KERBEROS_V4\r\nUSER anonymous\r\nPASS x\r\n")));
        assertThat(((FtpCommand) ch.readInbound()).verb()).isEqualTo("AUTH");
        assertThat((Object) ch.readInbound()).isNull();
        decoder.resumeAfterRefusedAuth();
        ch.runPendingTasks();
        assertThat(line(ch.readInbound())).isEqualTo("USER anonymous");
        assertThat(line(ch.readInbound())).isEqualTo("PASS x");
        ch.finishAndReleaseAll();
    }

    @Test
    void aFloodBehindAnUnansweredAuthClosesTheConnection() {
        EmbeddedChannel ch = new EmbeddedChannel(new FtpCommandDecoder(64));
        ch.writeInbound(Unpooled.wrappedBuffer(bytes("AUTH TLS\r\n")));
        assertThat(((FtpCommand) ch.readInbound()).verb()).isEqualTo("AUTH");
        ch.writeInbound(Unpooled.wrappedBuffer(bytes("NOOP\r\n".repeat(40))));
        assertThat(ch.isOpen()).as("more than two full lines held behind AUTH").isFalse();
        ch.finishAndReleaseAll();
    }
}
