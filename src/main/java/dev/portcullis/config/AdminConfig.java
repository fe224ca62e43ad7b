package dev.portcullis.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;

/**
 * The operations side.
 *
 * @param listen         the admin HTTP listener (/metrics, /healthz, /readyz); empty: off
 * @param drainTimeout   on SIGTERM, how long running transfers may take before sessions get 421
 */
public record AdminConfig(Optional<InetSocketAddress> listen, Duration drainTimeout) {

    public static final String DEFAULT_LISTEN = "127.0.0.1:9121";
}
