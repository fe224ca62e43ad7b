package dev.portcullis.control;

import dev.portcullis.ftp.FtpReply;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Frames a server's control stream into complete {@link FtpReply}s. A multi-line reply starts with
 * {@code ddd-} and ends with a line starting {@code ddd } (same code); lines in between may be free
 * text without a code, as RFC 959 4.2 allows and IIS sends. Lines and line counts are bounded;
 * anything else is a {@link CorruptedFrameException}, on which the session gives up on the backend.
 *
 * <p>A {@code 234} answering the proxy's own {@code AUTH TLS} ({@link #authTlsSent()}) ends the clear-text stream:
 * whatever the server, or someone between it and the proxy, sent behind it is discarded until
 * {@link #clearTextEnded()} says the TLS handshake is done, so that no clear-text reply can be taken
 * for the answer to a command sent under TLS (the STARTTLS injection class, CVE-2011-0411).
 */
public final class FtpReplyDecoder extends ByteToMessageDecoder {

    private final int maxLineLength;
    private final int maxLines;
    private final ByteArrayOutputStream raw = new ByteArrayOutputStream(128);
    private final List<String> lines = new ArrayList<>();
    private int multiLineCode = -1;
    private boolean discardingUntilTls;
    private boolean authTlsSent;

    public FtpReplyDecoder(int maxLineLength, int maxLines) {
        this.maxLineLength = maxLineLength;
        this.maxLines = maxLines;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (true) {
            if (discardingUntilTls) {
                in.skipBytes(in.readableBytes());
                return;
            }
            int lf = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
            if (lf < 0) {
                if (in.readableBytes() > maxLineLength + 2) {
                    throw new TooLongFrameException("reply line longer than " + maxLineLength + " bytes");
                }
                return;
            }
            int lineLength = lf - in.readerIndex() + 1;
            if (lineLength > maxLineLength + 2) {
                throw new TooLongFrameException("reply line longer than " + maxLineLength + " bytes");
            }
            byte[] bytes = new byte[lineLength];
            in.readBytes(bytes);
            raw.write(bytes, 0, bytes.length);
            int textEnd = lineLength - 1;
            if (textEnd > 0 && bytes[textEnd - 1] == '\r') {
                textEnd--;
            }
            String text = new String(bytes, 0, textEnd, StandardCharsets.ISO_8859_1);
            if (multiLineCode < 0 && text.isBlank()) {
                // A blank line between replies (curl's test server sends one after "213 51"):
                // clients skip it, so it answers nothing and is neither relayed nor an error.
                raw.reset();
                continue;
            }
            lines.add(text);
            if (lines.size() > maxLines) {
                throw new TooLongFrameException("multi-line reply longer than " + maxLines + " lines");
            }
            FtpReply reply = accept(text);
            if (reply != null) {
                out.add(reply);
                // Only a 234 answering the proxy's own AUTH TLS ends the clear text: any other one
                // is relayed as it is and cannot make the session deaf.
                discardingUntilTls = authTlsSent && reply.code() == 234;
                if (reply.code() >= 200) {
                    authTlsSent = false;
                }
            }
        }
    }

    /** The proxy is sending AUTH TLS: a {@code 234} answering it ends the clear-text stream. */
    public void authTlsSent() {
        authTlsSent = true;
    }

    /** The TLS handshake after {@code 234} is done: what arrives now was sent under TLS. */
    public void clearTextEnded() {
        discardingUntilTls = false;
    }

    private FtpReply accept(String text) {
        if (multiLineCode < 0) {
            int code = codeOf(text);
            if (code < 0) {
                throw new CorruptedFrameException("reply without a code: " + abbreviate(text));
            }
            if (text.length() > 3 && text.charAt(3) == '-') {
                multiLineCode = code;
                return null;
            }
            return complete(code);
        }
        // Inside a multi-line reply: only "ddd " (or exactly "ddd") with the same code ends it.
        if (codeOf(text) == multiLineCode && (text.length() == 3 || text.charAt(3) == ' ')) {
            int code = multiLineCode;
            multiLineCode = -1;
            return complete(code);
        }
        return null;
    }

    private FtpReply complete(int code) {
        FtpReply reply = new FtpReply(code, lines, raw.toByteArray());
        lines.clear();
        raw.reset();
        return reply;
    }

    /** The three-digit code at the start of a line, or -1; the first digit must be 1-5. */
    static int codeOf(String line) {
        if (line.length() < 3) {
            return -1;
        }
        char a = line.charAt(0);
        char b = line.charAt(1);
        char c = line.charAt(2);
        if (a < '1' || a > '5' || b < '0' || b > '9' || c < '0' || c > '9') {
            return -1;
        }
        if (line.length() > 3 && line.charAt(3) != ' ' && line.charAt(3) != '-') {
            return -1;
        }
        return (a - '0') * 100 + (b - '0') * 10 + (c - '0');
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }
}
