package dev.portcullis.config;

/**
 * @param maxLineLength     longest command line accepted from a client, in bytes (longer: {@code 500})
 * @param maxBadLines       over-long or NUL-bearing lines tolerated before the session is closed
 * @param maxReplyLines     longest multi-line reply accepted from the backend, in lines
 * @param maxSessions       control sessions at once, in total (more: {@code 421} and close)
 * @param maxSessionsPerIp  control sessions at once from one client address (more: {@code 421} and close)
 */
public record Limits(int maxLineLength, int maxBadLines, int maxReplyLines, int maxSessions, int maxSessionsPerIp) {

    public static final Limits DEFAULTS = new Limits(4096, 3, 1000, 10_000, 64);

    /** The framing limits, with the default session limits. */
    public Limits(int maxLineLength, int maxBadLines, int maxReplyLines) {
        this(maxLineLength, maxBadLines, maxReplyLines, DEFAULTS.maxSessions(), DEFAULTS.maxSessionsPerIp());
    }
}
