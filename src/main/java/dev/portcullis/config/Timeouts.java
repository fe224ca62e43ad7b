package dev.portcullis.config;

import java.time.Duration;

/**
 * @param idle           control connection idle time before {@code 421} (no transfer running)
 * @param dataConnect    connecting a data connection, and a data connection's idle time
 * @param backendConnect connecting to the backend's control port
 * @param expectation    lifetime of an unused PASV/EPSV/PORT/EPRT data expectation
 * @param backendReply   how long the backend may take to answer a command (not counting a transfer's data time)
 * @param login          from connect to a completed login; longer gets {@code 421} and a close, so that
 *                       connections that never log in (or dribble a line byte by byte) cannot be held for
 *                       the whole idle time
 */
public record Timeouts(Duration idle, Duration dataConnect, Duration backendConnect, Duration expectation, Duration backendReply,
                       Duration login) {

    public static final Timeouts DEFAULTS = new Timeouts(
            Duration.ofSeconds(900), Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60),
            Duration.ofSeconds(60));

    /** The first five limits, with the default login limit. */
    public Timeouts(Duration idle, Duration dataConnect, Duration backendConnect, Duration expectation, Duration backendReply) {
        this(idle, dataConnect, backendConnect, expectation, backendReply, Duration.ofSeconds(60));
    }

    /** The first four limits, with the default backend reply limit. */
    public Timeouts(Duration idle, Duration dataConnect, Duration backendConnect, Duration expectation) {
        this(idle, dataConnect, backendConnect, expectation, Duration.ofSeconds(60));
    }
}
