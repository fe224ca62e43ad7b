package dev.portcullis.metrics;

/**
 * Every meter name and tag key, in one place. Names are lowercase dotted with base units
 * (Prometheus renders {@code portcullis.data.bytes} as {@code portcullis_data_bytes_total}).
 * Tags take values from small fixed sets only: never a client address, user name or path.
 */
public final class MeterNames {

    public static final String SESSIONS_ACTIVE = "portcullis.sessions.active";
    public static final String SESSIONS = "portcullis.sessions";
    public static final String TRANSFERS = "portcullis.transfers";
    public static final String DATA_BYTES = "portcullis.data.bytes";
    public static final String DATA_PORTS_IN_USE = "portcullis.data.ports.in.use";
    public static final String DATA_PORTS_CAPACITY = "portcullis.data.ports.capacity";
    public static final String DATA_EXPECTATIONS = "portcullis.data.expectations";
    public static final String REWRITES = "portcullis.rewrites";
    public static final String BLOCKED = "portcullis.blocked";
    public static final String PROTOCOL_VIOLATIONS = "portcullis.backend.protocol.violations";
    public static final String TLS_HANDSHAKES = "portcullis.tls.handshakes";
    public static final String BACKEND_CONNECT = "portcullis.backend.connect";
    public static final String BACKEND_UP = "portcullis.backend.up";
    public static final String BACKEND_SESSIONS = "portcullis.backend.sessions";
    public static final String ZERO_COPY_RELAYS = "portcullis.data.zero.copy.relays";
    public static final String SPLICE_PIPE_BYTES = "portcullis.data.splice.pipe.bytes";
    public static final String SPLICE_PIPES_GROWN = "portcullis.data.splice.pipes.grown";
    public static final String KERNEL_NAT_MAPPINGS = "portcullis.data.kernel.nat.mappings";
    public static final String KERNEL_NAT_REQUESTS = "portcullis.data.kernel.nat.requests";
    public static final String BANS_ACTIVE = "portcullis.bans.active";
    public static final String ADDED_LATENCY = "portcullis.command.added.latency";
    public static final String ALLOCATOR_DIRECT = "portcullis.netty.allocator.direct.used";
    public static final String ALLOCATOR_HEAP = "portcullis.netty.allocator.heap.used";

    public static final String TAG_OUTCOME = "outcome";
    public static final String TAG_DIRECTION = "direction";
    public static final String TAG_MODE = "mode";
    public static final String TAG_KIND = "kind";
    public static final String TAG_REASON = "reason";
    public static final String TAG_SIDE = "side";
    public static final String TAG_BACKEND = "backend";

    private MeterNames() {
    }
}
