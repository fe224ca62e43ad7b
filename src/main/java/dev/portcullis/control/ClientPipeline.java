package dev.portcullis.control;

import dev.portcullis.config.ProxyConfig;
import dev.portcullis.metrics.ProxyMetrics;
import dev.portcullis.config.TlsConfig;
import io.netty.channel.Channel;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The pipeline of a client's control connection on one listener: the balancer's PROXY header
 * first, then (implicit FTPS) TLS, the idle limit, the command decoder and the session. Each new
 * connection takes the {@link SessionContext} of the moment, so a reload applies to new sessions.
 * {@link ControlAcceptor} builds it once the connection is registered.
 */
public final class ClientPipeline {

    private final Supplier<SessionContext> context;
    private final InetSocketAddress address;
    private final boolean implicitTls;

    public ClientPipeline(Supplier<SessionContext> context, InetSocketAddress address, boolean implicitTls) {
        this.context = context;
        this.address = address;
        this.implicitTls = implicitTls;
    }

    void initChannel(Channel ch) {
        SessionContext ctx = context.get();
        ProxyConfig c = ctx.config();
        TlsConfig.ListenerPolicy policy = implicitTls
                ? new TlsConfig.ListenerPolicy(address, TlsConfig.Policy.REQUIRED, c.tls().dataProtection())
                : c.tls().policyFor(address);
        if (c.proxyProtocol().accept()) {
            // The balancer's header comes first, before TLS or FTP.
            ch.pipeline().addLast(HandlerNames.PROXY_HEADER_DECODER, new HAProxyMessageDecoder());
            ch.pipeline().addLast(HandlerNames.PROXY_HEADER, new ProxyHeaderHandler(c.timeouts().backendConnect().toMillis(),
                    c.proxyProtocol(), () -> ctx.metrics().blocked(ProxyMetrics.Blocked.UNTRUSTED_PROXY_HEADER)));
        }
        if (implicitTls) {
            ch.pipeline().addLast(HandlerNames.TLS, ctx.serverTls().newHandler(ctx.serverTls().context(), ch.alloc()));
        }
        ch.pipeline().addLast(HandlerNames.IDLE, new IdleStateHandler(0, 0, c.timeouts().idle().toMillis(), TimeUnit.MILLISECONDS));
        ch.pipeline().addLast(HandlerNames.COMMAND_DECODER, new FtpCommandDecoder(c.limits().maxLineLength(), c.commands().strictProtocol()));
        ch.pipeline().addLast(HandlerNames.CLIENT_CONTROL, new ClientControlHandler(ctx, implicitTls, policy));
    }
}
