package dev.portcullis.config;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;

/**
 * The operations side.
 *
 * @param listen         the admin HTTP listener (/metrics, /healthz, /readyz, the runtime API); empty: off
 * @param drainTimeout   on SIGTERM, how long running transfers may take before sessions get 421
 * @param token          the bearer token the runtime API (/sessions, /backends) requires; empty: it
 *                       answers loopback clients only
 */
public record AdminConfig(@JsonDeserialize(using = ConfigModule.AdminListen.class) Optional<InetSocketAddress> listen, Duration drainTimeout, Optional<String> token) {

    public static final String DEFAULT_LISTEN = "127.0.0.1:9121";

    public AdminConfig(Optional<InetSocketAddress> listen, Duration drainTimeout) {
        this(listen, drainTimeout, Optional.empty());
    }
}
