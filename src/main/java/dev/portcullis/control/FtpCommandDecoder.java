package dev.portcullis.control;

import dev.portcullis.ftp.FtpCommand;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.Arrays;
import java.util.List;

/**
 * Frames the client's control stream into {@link FtpCommand}s. Lines end in CR LF; a bare LF is
 * accepted (some clients and scripts send it). Telnet sequences (RFC 854) are removed before the
 * line is parsed, so the verb the session judges is the verb a Telnet-aware server would read:
 * IAC followed by a command byte (240-250) is dropped, IAC WILL/WONT/DO/DONT drops its option byte
 * too, and an IAC followed by a byte below 240 (which is no Telnet command) drops only the IAC: BSD
 * ftp sends IAC IP, then IAC DM as TCP urgent data, and Linux takes the urgent DM out of the stream,
 * leaving IAC 'A' 'B' 'O' 'R'.
 *
 * <p>Refused lines, as {@link CommandFrameError}s: longer than {@code maxLineLength}
 * ({@link CommandFrameError#TOO_LONG}, discarded up to its end), with a NUL, with a CR that does
 * not end the line ({@link CommandFrameError#STRAY_CR}: servers disagree on whether it ends the
 * line, and vsftpd ignores a line that is a lone CR, leaving the client waiting), and with a
 * literal 0xFF (IAC IAC) ({@link CommandFrameError#LITERAL_IAC}: relayed unescaped, ProFTPD takes
 * it for IAC and drops it with the next byte; escaped, vsftpd would read two 0xFF bytes; it never
 * occurs in UTF-8). The decoder holds no policy: the session decides what to reply and when to close.
 *
 * <p>After an {@code AUTH} line it frames nothing more until the session has answered it: bytes the
 * client sent behind {@code AUTH} were sent in clear text before it could have seen {@code 234}, so
 * they are either discarded when TLS starts ({@link #discardClearText()}, the STARTTLS injection
 * class, CVE-2011-0411) or framed as usual when AUTH was refused ({@link #resumeAfterRefusedAuth()}).
 */
public final class FtpCommandDecoder extends ByteToMessageDecoder {

    private static final int IAC = 0xff;
    private static final int WILL = 0xfb;
    private static final int DONT = 0xfe;
    /** The lowest Telnet command byte (SE); below it, a byte after IAC is data. */
    private static final int FIRST_COMMAND = 0xf0;

    private enum Telnet { DATA, IAC, OPTION }

    private final int maxLineLength;
    private byte[] line = new byte[128];
    private int length;
    private boolean sawNul;
    private boolean discarding;
    private int discarded;
    private Telnet telnet = Telnet.DATA;
    /** An AUTH line was framed and not yet answered: what follows it stays unframed. */
    private boolean holdingAfterAuth;
    private ChannelHandlerContext context;

    private final boolean requireCrLf;

    public FtpCommandDecoder(int maxLineLength) {
        this(maxLineLength, false);
    }

    /** @param requireCrLf report a line ending in a bare LF as {@link CommandFrameError#BARE_LF} (strict protocol) */
    public FtpCommandDecoder(int maxLineLength, boolean requireCrLf) {
        this.maxLineLength = maxLineLength;
        this.requireCrLf = requireCrLf;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        context = ctx;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (holdingAfterAuth) {
            // Whatever comes now is discarded or framed later. A client that pipelines more than two
            // full lines behind an unanswered AUTH is closed: keeping only part would frame a cut line.
            if (in.readableBytes() > 2 * (maxLineLength + 2)) {
                in.skipBytes(in.readableBytes());
                ctx.close();
            }
            return;
        }
        while (in.isReadable() && !holdingAfterAuth) {
            int b = in.readByte() & 0xff;
            switch (telnet) {
                case IAC -> {
                    telnet = Telnet.DATA;
                    if (b == IAC) {
                        append(0xff, out);
                    } else if (b >= WILL && b <= DONT) {
                        telnet = Telnet.OPTION; // skip the option byte that follows
                    } else if (b < FIRST_COMMAND) {
                        data(b, out); // not a Telnet command: the IAC alone is dropped, the byte is kept
                    }
                    // IP (244), DM (242), NOP and the other two-byte commands are dropped.
                }
                case OPTION -> telnet = Telnet.DATA;
                case DATA -> {
                    if (b == IAC) {
                        telnet = Telnet.IAC;
                    } else {
                        data(b, out);
                    }
                }
            }
        }
    }

    private void data(int b, List<Object> out) {
        if (b == '\n') {
            endOfLine(out);
        } else {
            append(b, out);
        }
    }

    /**
     * TLS starts after {@code 234}: forgets everything received so far that is not framed (a partial
     * line, the Telnet state, the bytes held behind AUTH), so that clear-text bytes sent before the
     * handshake can never become, or complete, a command read after it.
     */
    public void discardClearText() {
        holdingAfterAuth = false;
        length = 0;
        sawNul = false;
        discarding = false;
        telnet = Telnet.DATA;
        if (actualReadableBytes() > 0) {
            internalBuffer().skipBytes(actualReadableBytes());
        }
    }

    /** AUTH was refused (no TLS follows): frame what the client sent behind it as usual. */
    public void resumeAfterRefusedAuth() {
        if (!holdingAfterAuth) {
            return;
        }
        holdingAfterAuth = false;
        ChannelHandlerContext ctx = context;
        if (ctx != null && actualReadableBytes() > 0) {
            // The held bytes are framed on the next turn of the loop, outside the read that led here.
            ctx.channel().eventLoop().execute(() -> {
                if (!ctx.isRemoved() && !holdingAfterAuth && actualReadableBytes() > 0) {
                    try {
                        channelRead(ctx, Unpooled.EMPTY_BUFFER);
                        channelReadComplete(ctx);
                    } catch (Exception e) {
                        ctx.fireExceptionCaught(e);
                    }
                }
            });
        }
    }

    private void append(int b, List<Object> out) {
        if (discarding) {
            if (++discarded >= maxLineLength) {
                discarded = 0;
                out.add(CommandFrameError.TOO_LONG); // a flood without LF keeps counting as abuse
            }
            return;
        }
        if (b == 0) {
            sawNul = true;
        }
        // +1 leaves room for the CR that usually precedes LF and is not part of the command.
        if (length >= maxLineLength + 1) {
            discarding = true;
            discarded = 0;
            length = 0;
            out.add(CommandFrameError.TOO_LONG);
            return;
        }
        if (length == line.length) {
            line = Arrays.copyOf(line, Math.min(line.length * 2, maxLineLength + 1));
        }
        line[length++] = (byte) b;
    }

    private void endOfLine(List<Object> out) {
        if (discarding) {
            discarding = false;
        } else if (sawNul) {
            out.add(CommandFrameError.NUL_BYTE);
        } else {
            int end = length > 0 && line[length - 1] == '\r' ? length - 1 : length;
            if (end > maxLineLength) {
                out.add(CommandFrameError.TOO_LONG);
            } else if (contains(end, (byte) '\r')) {
                out.add(CommandFrameError.STRAY_CR);
            } else if (contains(end, (byte) 0xff)) {
                out.add(CommandFrameError.LITERAL_IAC);
            } else if (requireCrLf && end == length) {
                out.add(CommandFrameError.BARE_LF);
            } else {
                FtpCommand command = FtpCommand.parse(Arrays.copyOf(line, end));
                out.add(command);
                holdingAfterAuth = command.verb().equals("AUTH");
            }
        }
        length = 0;
        sawNul = false;
        if (line.length > 512) {
            line = new byte[128]; // do not keep a large buffer per idle session
        }
    }

    private boolean contains(int end, byte b) {
        for (int i = 0; i < end; i++) {
            if (line[i] == b) {
                return true;
            }
        }
        return false;
    }
}
