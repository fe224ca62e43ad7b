package dev.portcullis.backend;

import dev.portcullis.config.HealthCheckConfig;
import dev.portcullis.control.FtpReplyDecoder;
import dev.portcullis.ftp.FtpReply;
import dev.portcullis.tls.BackendTls;
import dev.portcullis.tls.HandshakeFailure;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * One FTP-level health check on one connection, as the handler after the sessions' reply decoder:
 * a {@code 220} banner, then optionally {@code AUTH TLS} and a handshake with the sessions' TLS
 * client context, then optionally a login with the probe account; then QUIT. The promise gets
 * what passed ("220, TLS TLSv1.3, login 230") or fails saying which step did not.
 */
final class HealthProbe extends SimpleChannelInboundHandler<FtpReply> {

    private enum Step { BANNER, AUTH_TLS, USER, PASS }

    private final HealthCheckConfig config;
    private final byte[] preamble;
    /** The TLS client context for AUTH TLS; null when the check does not use TLS. */
    private final BackendTls tls;
    private final String host;
    private final Promise<String> result;
    private final StringBuilder passed = new StringBuilder();
    private Step step = Step.BANNER;

    HealthProbe(HealthCheckConfig config, byte[] preamble, BackendTls tls, String host, Promise<String> result) {
        this.config = config;
        this.preamble = preamble;
        this.tls = tls;
        this.host = host;
        this.result = result;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (preamble.length > 0) {
            ctx.writeAndFlush(Unpooled.wrappedBuffer(preamble));
        }
        ctx.fireChannelActive();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FtpReply r) {
        if (r.isPreliminary() || result.isDone()) {
            return;
        }
        switch (step) {
            case BANNER -> {
                expect(r, 220, "banner");
                passed.append("220");
                if (config.authTls()) {
                    ctx.pipeline().get(FtpReplyDecoder.class).authTlsSent();
                    send(ctx, "AUTH TLS", Step.AUTH_TLS);
                } else {
                    loginOrQuit(ctx);
                }
            }
            case AUTH_TLS -> {
                expect(r, 234, "AUTH TLS");
                SslHandler handler = tls.newHandler(ctx.alloc(), host, ((java.net.InetSocketAddress) ctx.channel().localAddress()).getPort());
                ctx.pipeline().addFirst("tls", handler);
                handler.handshakeFuture().addListener(f -> {
                    if (!f.isSuccess()) {
                        fail(ctx, new IOException("TLS handshake: " + HandshakeFailure.chain(f.cause())));
                        return;
                    }
                    ctx.pipeline().get(FtpReplyDecoder.class).clearTextEnded();
                    passed.append(", TLS ").append(handler.engine().getSession().getProtocol());
                    loginOrQuit(ctx);
                });
            }
            case USER -> {
                if (r.code() == 331) {
                    send(ctx, "PASS " + config.password().orElse(""), Step.PASS);
                } else {
                    loggedIn(ctx, r);
                }
            }
            case PASS -> loggedIn(ctx, r);
        }
    }

    private void loginOrQuit(ChannelHandlerContext ctx) {
        if (config.user().isPresent()) {
            send(ctx, "USER " + config.user().get(), Step.USER);
        } else {
            quit(ctx);
        }
    }

    private void loggedIn(ChannelHandlerContext ctx, FtpReply r) {
        if (r.code() != 230) {
            fail(ctx, new IOException("login probe for " + config.user().orElse("") + " got " + r.code() + ", not 230"));
            return;
        }
        passed.append(", login 230");
        quit(ctx);
    }

    private void quit(ChannelHandlerContext ctx) {
        result.trySuccess(passed.toString());
        ctx.writeAndFlush(Unpooled.copiedBuffer("QUIT\r\n", StandardCharsets.US_ASCII)).addListener(f -> ctx.close());
    }

    private void send(ChannelHandlerContext ctx, String line, Step next) {
        step = next;
        ctx.writeAndFlush(Unpooled.copiedBuffer(line + "\r\n", StandardCharsets.UTF_8));
    }

    /** A reply other than {@code want} ends the check (the exception reaches exceptionCaught). */
    private static void expect(FtpReply r, int want, String what) {
        if (r.code() != want) {
            String line = r.lines().get(0);
            throw new java.io.UncheckedIOException(new IOException(
                    what + ": expected " + want + ", got " + (line.length() > 80 ? line.substring(0, 80) + "..." : line)));
        }
    }

    private void fail(ChannelHandlerContext ctx, Throwable cause) {
        result.tryFailure(cause);
        ctx.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, cause instanceof java.io.UncheckedIOException u ? u.getCause() : cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        result.tryFailure(new IOException("connection closed during the " + step.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')));
    }
}
