package dev.portcullis.control;

import dev.portcullis.Transport;
import dev.portcullis.backend.BackendResolver;
import dev.portcullis.config.ProxyConfig;
import dev.portcullis.data.DataConnector;
import dev.portcullis.data.ProxyStats;
import dev.portcullis.policy.BounceGuard;
import dev.portcullis.rewrite.FeatFilter;
import java.net.InetSocketAddress;

/** What every session of one proxy shares, built once at start from the validated config. */
public record SessionContext(
        ProxyConfig config,
        Transport transport,
        InetSocketAddress backendAddress,
        BackendResolver backendResolver,
        BackendCapabilities backendCapabilities,
        DataConnector dataConnector,
        BounceGuard bounceGuard,
        FeatFilter featFilter,
        SessionRegistry registry,
        ProxyStats stats) {
}
