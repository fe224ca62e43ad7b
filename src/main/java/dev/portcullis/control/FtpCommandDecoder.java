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
 * accepted (some clients and scripts send it). Telnet IAC sequences (RFC 854) are removed: clients
 * send IAC IP and IAC DM before ABOR, and IAC IAC stands for a literal 0xFF byte. A line longer than
 * {@code maxLineLength} yields {@link CommandFrameError#TOO_LONG} and is discarded up to its end; a
 * line with a NUL yields {@link CommandFrameError#NUL_BYTE}. The decoder holds no policy: the
 * session decides what to reply and when to close.
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
            // Whatever comes now is discarded or framed later; bound what a client can make us keep.
            if (in.readableBytes() > 2 * (maxLineLength + 2)) {
                in.skipBytes(in.readableBytes() - 2 * (maxLineLength + 2));
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
                    }
                    // IP (244), DM (242), NOP and the other two-byte commands are dropped.
                }
                case OPTION -> telnet = Telnet.DATA;
                case DATA -> {
                    if (b == IAC) {
                        telnet = Telnet.IAC;
                    } else if (b == '\n') {
                        endOfLine(out);
                    } else {
                        append(b, out);
                    }
                }
            }
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
}
