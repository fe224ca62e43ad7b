package dev.portcullis.control;

import dev.portcullis.Transport;
import dev.portcullis.backend.BackendPool;
import dev.portcullis.backend.BackendResolver;
import dev.portcullis.config.ProxyConfig;
import dev.portcullis.data.setup.DataConnector;
import dev.portcullis.data.setup.PortBudget;
import dev.portcullis.data.splice.SpliceService;
import dev.portcullis.data.relay.TokenBucket;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.metrics.ProxyMetrics;
import dev.portcullis.guard.BounceGuard;
import dev.portcullis.policy.CommandPolicy;
import dev.portcullis.policy.LoginBans;
import dev.portcullis.rewrite.FeatFilter;
import dev.portcullis.tls.BackendTls;
import dev.portcullis.tls.ServerTls;

/**
 * What every session of one proxy shares, built once at start from the validated config.
 * {@code serverTls} is null when FTPS towards clients is off; {@code backendTls} when TLS towards
 * the backend is off. {@code bandwidthTotal} is shared by every session (rate 0: no limit). {@code splice} is null
 * where data is always copied (no epoll, or data.zero-copy off); {@code kernelNat} is null unless data.kernel-nat is on.
 */
public record SessionContext(
        ProxyConfig config,
        Transport transport,
        BackendPool backends,
        BackendResolver backendResolver,
        DataConnector dataConnector,
        BounceGuard bounceGuard,
        CommandPolicy commandPolicy,
        FeatFilter featFilter,
        FeatFilter featFilterWithoutTls,
        SessionRegistry registry,
        ProxyMetrics metrics,
        AuditLog audit,
        ServerTls serverTls,
        BackendTls backendTls,
        LoginBans bans,
        PortBudget portBudget,
        TokenBucket bandwidthTotal,
        SpliceService splice,
        dev.portcullis.data.kernel.KernelNat kernelNat) {
}
