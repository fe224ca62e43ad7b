package dev.portcullis.control;

import dev.portcullis.Transport;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.backend.BackendPool;
import dev.portcullis.backend.BackendResolver;
import dev.portcullis.config.CliOverrides;
import dev.portcullis.config.ConfigLoader;
import dev.portcullis.config.ProxyConfig;
import dev.portcullis.data.setup.DataConnector;
import dev.portcullis.guard.ExpectationTable;
import dev.portcullis.data.setup.PassivePortPool;
import dev.portcullis.data.setup.PortBudget;
import dev.portcullis.data.relay.TokenBucket;
import dev.portcullis.ftp.FtpCommand;
import dev.portcullis.metrics.MicrometerProxyMetrics;
import dev.portcullis.guard.BounceGuard;
import dev.portcullis.policy.CommandPolicy;
import dev.portcullis.policy.LoginBans;
import dev.portcullis.rewrite.FeatFilter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A session on an EmbeddedChannel, with the proxy's real policy objects and no backend: for the
 * commands a session answers itself (refusals, guards, budgets) without a backend connection.
 */
final class SessionFixture {

    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);
    private static final InetSocketAddress LISTENER = new InetSocketAddress("127.0.0.1", 2121);

    /** The client's control channel, with the addresses of a real connection to the proxy. */
    final EmbeddedChannel client = new EmbeddedChannel() {
        @Override
        protected java.net.SocketAddress localAddress0() {
            return LISTENER;
        }

        @Override
        protected java.net.SocketAddress remoteAddress0() {
            return CLIENT;
        }
    };
    final ControlSession session;

    /** A session whose client has logged in (as the backend's 230 would have said). */
    SessionFixture(UnaryOperator<ProxyConfig> customize) throws Exception {
        this(customize, true);
    }

    SessionFixture(UnaryOperator<ProxyConfig> customize, boolean loggedIn) throws Exception {
        ProxyConfig c = customize.apply(ConfigLoader.load(Optional.empty(),
                new CliOverrides(List.of(), "127.0.0.1:21", "30000-30009", null)));
        MicrometerProxyMetrics metrics = new MicrometerProxyMetrics(new SimpleMeterRegistry());
        Transport transport = Transport.select(false);
        SessionContext ctx = new SessionContext(c, transport, new BackendPool(), new BackendResolver(),
                new DataConnector(transport, new PassivePortPool(30000, 30009), new ExpectationTable(System::nanoTime), c.timeouts(),
                        metrics, false, peer -> false, false, false),
                new BounceGuard(c.data().allowForeignAddress(), c.data().allowPrivilegedPorts()),
                new CommandPolicy(c.commands().denyCommands(), c.commands().denyAnonymous(), c.commands().allowCommands()),
                new FeatFilter(Set.of(), List.of("EPRT", "EPSV")), new FeatFilter(Set.of(), List.of("EPRT", "EPSV")),
                new SessionRegistry(), metrics, AuditLog.NONE, null, null,
                new LoginBans(0, Duration.ofMinutes(1), Duration.ofMinutes(1), Optional.empty(), System::currentTimeMillis),
                new PortBudget(), new TokenBucket(0, System::nanoTime), null, null);
        session = new ControlSession(ctx, client, false, c.tls().policyFor((InetSocketAddress) client.localAddress()),
                CLIENT);
        if (loggedIn) {
            session.login().recordOutcome(dev.portcullis.ftp.FtpReply.of(230, "Login successful."));
        }
    }

    /** Sends one command line and returns everything the session wrote back. */
    String command(String line) {
        session.onClientMessage(FtpCommand.of(line));
        client.runPendingTasks();
        return Outbound.text(client);
    }
}
