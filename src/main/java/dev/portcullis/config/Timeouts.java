package dev.portcullis.config;

import java.time.Duration;

/**
 * @param idle           control connection idle time before {@code 421} (no transfer running)
 * @param dataConnect    connecting a data connection, and a data connection's idle time
 * @param backendConnect connecting to the backend's control port
 * @param expectation    lifetime of an unused PASV/EPSV/PORT/EPRT data expectation
 */
public record Timeouts(Duration idle, Duration dataConnect, Duration backendConnect, Duration expectation) {

    public static final Timeouts DEFAULTS = new Timeouts(
            Duration.ofSeconds(900), Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(30));
}
