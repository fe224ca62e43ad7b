package dev.portcullis.config;

/**
 * @param maxLineLength          longest command line accepted from a client, in bytes (longer: {@code 500})
 * @param maxBadLines            over-long or NUL-bearing lines tolerated before the session is closed
 * @param maxReplyLines          longest multi-line reply accepted from the backend, in lines
 * @param maxSessions            control sessions at once, in total (more: {@code 421} and close)
 * @param maxSessionsPerIp       control sessions at once from one client address (more: {@code 421} and close)
 * @param maxDataPortsPerSession passive ports one session may hold at once (more: {@code 425})
 * @param maxDataPortsPerIp      passive ports all sessions of one client address may hold at once, so
 *                               that one client cannot exhaust the pool (more: {@code 425})
 * @param maxTransfersPerSession transfers (RETR, STOR, LIST, ...) one session may start; 0: no limit (more: {@code 450})
 * @param bandwidthPerSession    data bytes per second one session may move, both directions together; 0: no limit
 * @param bandwidthTotal         data bytes per second all sessions together may move; 0: no limit
 * @param ipv6Prefix             IPv6 clients are counted, budgeted and banned per network of this prefix
 *                               length, not per address: one host holds a whole /64 and could otherwise
 *                               take a new address for every session (128: per address)
 */
public record Limits(@Range(min = 64, max = 65536) int maxLineLength, @Range(min = 1, max = 1000) int maxBadLines,
                     @Range(min = 2, max = 100_000) int maxReplyLines, @Range(min = 1, max = 1_000_000) int maxSessions,
                     @Range(min = 1, max = 1_000_000) int maxSessionsPerIp, @Range(min = 1, max = 1000) int maxDataPortsPerSession,
                     @Range(min = 1, max = 1_000_000) int maxDataPortsPerIp, @Range(min = 0, max = Integer.MAX_VALUE) int maxTransfersPerSession,
                     @Rate long bandwidthPerSession, @Rate long bandwidthTotal, @Range(min = 32, max = 128) int ipv6Prefix) {

    public static final Limits DEFAULTS = new Limits(4094, 3, 100_000, 10_000, 64, 2, 64, 0, 0, 0, 64);

    public Limits(int maxLineLength, int maxBadLines, int maxReplyLines, int maxSessions, int maxSessionsPerIp,
                  int maxDataPortsPerSession, int maxDataPortsPerIp, int maxTransfersPerSession, long bandwidthPerSession,
                  long bandwidthTotal) {
        this(maxLineLength, maxBadLines, maxReplyLines, maxSessions, maxSessionsPerIp, maxDataPortsPerSession, maxDataPortsPerIp,
                maxTransfersPerSession, bandwidthPerSession, bandwidthTotal, DEFAULTS.ipv6Prefix());
    }

    /** The framing limits, with the default session limits. */
    public Limits(int maxLineLength, int maxBadLines, int maxReplyLines) {
        this(maxLineLength, maxBadLines, maxReplyLines, DEFAULTS.maxSessions(), DEFAULTS.maxSessionsPerIp());
    }

    /** The framing and session limits, with the default data limits. */
    public Limits(int maxLineLength, int maxBadLines, int maxReplyLines, int maxSessions, int maxSessionsPerIp) {
        this(maxLineLength, maxBadLines, maxReplyLines, maxSessions, maxSessionsPerIp, DEFAULTS.maxDataPortsPerSession(),
                DEFAULTS.maxDataPortsPerIp(), DEFAULTS.maxTransfersPerSession(), DEFAULTS.bandwidthPerSession(), DEFAULTS.bandwidthTotal());
    }

    public Limits withDataLimits(int portsPerSession, int portsPerIp, int transfersPerSession, long perSession, long total) {
        return new Limits(maxLineLength, maxBadLines, maxReplyLines, maxSessions, maxSessionsPerIp, portsPerSession, portsPerIp,
                transfersPerSession, perSession, total, ipv6Prefix);
    }
}
