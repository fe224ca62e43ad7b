package dev.portcullis;

import dev.portcullis.audit.AuditLog;
import dev.portcullis.audit.LogbackAuditLog;
import dev.portcullis.backend.BackendPool;
import dev.portcullis.backend.BackendResolver;
import dev.portcullis.config.ConfigException;
import dev.portcullis.config.ProxyConfig;
import dev.portcullis.config.ProxyProtocolConfig;
import dev.portcullis.config.TransparentConfig;
import dev.portcullis.control.SessionContext;
import dev.portcullis.control.SessionRegistry;
import dev.portcullis.data.kernel.KernelNat;
import dev.portcullis.data.relay.TokenBucket;
import dev.portcullis.data.setup.DataConnector;
import dev.portcullis.data.setup.PassivePortPool;
import dev.portcullis.data.setup.PortBudget;
import dev.portcullis.data.splice.SpliceService;
import dev.portcullis.ftp.Verbs;
import dev.portcullis.guard.BounceGuard;
import dev.portcullis.guard.OwnPorts;
import dev.portcullis.guard.ExpectationTable;
import dev.portcullis.metrics.MicrometerProxyMetrics;
import dev.portcullis.policy.CommandPolicy;
import dev.portcullis.policy.LoginBans;
import dev.portcullis.rewrite.FeatFilter;
import dev.portcullis.tls.BackendTls;
import dev.portcullis.tls.ServerTls;
import dev.portcullis.tls.TlsProvider;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the {@link SessionContext} new sessions take, from a configuration and the state every
 * configuration shares (pools, tables, registries, the splice and kernel data paths). Called at
 * start and on each reload; TLS contexts are built (and so checked) here.
 */
record SessionContextFactory(Transport transport, BackendPool backends, BackendResolver resolver, PassivePortPool pool,
                             ExpectationTable expectations, MicrometerProxyMetrics metrics, SessionRegistry registry, LoginBans bans,
                             PortBudget portBudget, TokenBucket bandwidthTotal, SpliceService splice, KernelNat kernelNat,
                             String instance, OwnPorts ownPorts) {

    private static final Logger log = LoggerFactory.getLogger("portcullis");
    /** Features the proxy itself answers for or refuses: the backend's FEAT lines for them are dropped. */
    private static final Set<String> HIDDEN_FEATURES = hiddenFeatures();

    SessionContext build(ProxyConfig c) throws ConfigException {
        ServerTls serverTls = null;
        if (c.tls().enabled()) {
            serverTls = StartChecks.serverTls(c);
            log.info("TLS towards clients: {}; control {}, data {}{}", TlsProvider.describe(serverTls.provider()),
                    c.tls().policy().name().toLowerCase(), c.tls().dataProtection().name().toLowerCase().replace('_', '-'),
                    c.tls().requireSessionReuse() ? ", session reuse required on data connections" : "");
        }
        BackendTls backendTls = null;
        if (c.backendTls().enabled()) {
            backendTls = StartChecks.backendTls(c);
            log.info("TLS towards the backend: {}, {}", c.backendTls().mode().name().toLowerCase(),
                    TlsProvider.describe(backendTls.provider()));
        }
        List<String> provided = new ArrayList<>(List.of("EPRT", "EPSV"));
        if (serverTls != null) {
            provided.addAll(List.of("AUTH TLS", "PBSZ", "PROT"));
        }
        AuditLog audit = c.audit().xferlog().isPresent() || c.audit().events().isPresent()
                ? new LogbackAuditLog(c.audit(), instance) : AuditLog.NONE;
        return new SessionContext(c, transport, backends, resolver,
                new DataConnector(transport, pool, expectations, c.timeouts(), metrics,
                        c.proxyProtocol().dataPeerCheck() == ProxyProtocolConfig.DataPeerCheck.PROXY_HEADER,
                        c.proxyProtocol()::trusts,
                        c.transparent().mode() == TransparentConfig.Mode.TPROXY, c.transparent().spoofClient()),
                new BounceGuard(c.data().allowForeignAddress(), c.data().allowPrivilegedPorts(), ownPorts),
                new CommandPolicy(c.commands().denyCommands(), c.commands().denyAnonymous(), c.commands().allowCommands()),
                new FeatFilter(HIDDEN_FEATURES, provided), new FeatFilter(HIDDEN_FEATURES, List.of("EPRT", "EPSV")),
                registry, metrics, audit, serverTls, backendTls, bans, portBudget, bandwidthTotal, splice, kernelNat);
    }

    private static Set<String> hiddenFeatures() {
        Set<String> hidden = new HashSet<>(Verbs.SECURITY);
        hidden.addAll(Verbs.LONG_ADDRESS);
        return Set.copyOf(hidden);
    }
}
