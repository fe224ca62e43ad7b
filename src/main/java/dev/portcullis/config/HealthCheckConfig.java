package dev.portcullis.config;

import java.time.Duration;
import java.util.Optional;

/**
 * Active FTP-level health checks of every backend: TCP connect and a {@code 220} banner within
 * {@code timeout}; optionally an {@code AUTH TLS} handshake and a login with a probe account.
 * A backend goes down after {@code fall} failed checks in a row and up after {@code rise} good ones;
 * a backend that is down gets no new sessions.
 *
 * @param enabled  off: every backend counts as up (a session to a dead one still gets 421 and the next tries another)
 * @param interval time between checks of one backend
 * @param timeout  time one check may take in all
 * @param rise     good checks in a row that bring a down backend back
 * @param fall     failed checks in a row that take an up backend out
 * @param authTls  also require {@code AUTH TLS} and a completed TLS handshake
 * @param user     login probe account (with {@code password}): {@code USER}/{@code PASS} must end in 230
 * @param password the probe account's password; never logged
 */
public record HealthCheckConfig(boolean enabled, Duration interval, Duration timeout, @Range(min = 1, max = 100) int rise, @Range(min = 1, max = 100) int fall, boolean authTls,
                                Optional<String> user, Optional<String> password) {

    public static final HealthCheckConfig DEFAULTS = new HealthCheckConfig(true, Duration.ofSeconds(5), Duration.ofSeconds(3),
            2, 2, false, Optional.empty(), Optional.empty());

    @Override
    public String toString() {
        return "HealthCheckConfig[enabled=" + enabled + ", interval=" + interval + ", timeout=" + timeout + ", rise=" + rise
                + ", fall=" + fall + ", authTls=" + authTls + ", user=" + user.orElse("-") + "]";
    }
}
