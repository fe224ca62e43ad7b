package dev.portcullis.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;

/**
 * The operations side.
 *
 * @param listen         the admin HTTP listener (/metrics, /healthz, /readyz); empty: off
 * @param drainTimeout   on SIGTERM, how long running transfers may take before sessions get 421
 * @param backendCheck   how often the backend's readiness (TCP connect and 220 banner) is checked
 */
public record AdminConfig(Optional<InetSocketAddress> listen, Duration drainTimeout, Duration backendCheck) {

    public static final String DEFAULT_LISTEN = "127.0.0.1:9121";
}
