package dev.portcullis.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.portcullis.control.CommandFrameError;
import dev.portcullis.control.FtpCommandDecoder;
import dev.portcullis.control.FtpReplyDecoder;
import dev.portcullis.ftp.FtpCommand;
import dev.portcullis.ftp.FtpReply;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;

/**
 * Fuzz targets for the control-channel codecs (Jazzer). In a normal test run they replay the
 * stored inputs under src/test/resources (regression mode, part of .ci/run); with
 * {@code JAZZER_FUZZ=1} they fuzz (see README). Properties: no exception other than the decoder's
 * own framing errors, every command within the length limit and free of CR/LF/NUL, every reply
 * code 100-599, nothing retained after the channel closes.
 */
class CodecFuzzTest {

    @FuzzTest(maxDuration = "30s")
    void commandDecoder(FuzzedDataProvider data) {
        int max = 64 + data.consumeInt(0, 512);
        EmbeddedChannel ch = new EmbeddedChannel(new FtpCommandDecoder(max));
        while (data.remainingBytes() > 0) {
            byte[] chunk = data.consumeBytes(data.consumeInt(1, 64));
            ch.writeInbound(Unpooled.wrappedBuffer(chunk));
            Object o;
            while ((o = ch.readInbound()) != null) {
                if (o instanceof FtpCommand c) {
                    assertThat(c.line().length).isLessThanOrEqualTo(max);
                    for (byte b : c.line()) {
                        // CR and 0xFF too: a line holding either is refused, never relayed (issue 28)
                        assertThat(b).isNotEqualTo((byte) '\n').isNotEqualTo((byte) 0).isNotEqualTo((byte) '\r').isNotEqualTo((byte) 0xff);
                    }
                    assertThat(c.verb()).doesNotContain(" ");
                } else {
                    assertThat(o).isInstanceOf(CommandFrameError.class);
                }
            }
        }
        ch.finishAndReleaseAll();
    }

    @FuzzTest(maxDuration = "30s")
    void replyDecoder(FuzzedDataProvider data) {
        EmbeddedChannel ch = new EmbeddedChannel(new FtpReplyDecoder(256, 20));
        try {
            while (data.remainingBytes() > 0) {
                ch.writeInbound(Unpooled.wrappedBuffer(data.consumeBytes(data.consumeInt(1, 64))));
                FtpReply r;
                while ((r = ch.readInbound()) != null) {
                    assertThat(r.code()).isBetween(100, 599);
                    assertThat(r.lines()).isNotEmpty().hasSizeLessThanOrEqualTo(21);
                }
            }
        } catch (DecoderException expected) {
            // the decoder's way of refusing garbage: the session answers 421 and closes
        } finally {
            try {
                ch.finishAndReleaseAll();
            } catch (DecoderException expectedAgain) {
                // leftover bytes decoded at close refused the same way
            }
        }
    }
}
