package dev.portcullis;

import static dev.portcullis.metrics.MeterNames.*;

import dev.portcullis.backend.BackendMember;
import dev.portcullis.backend.BackendPool;
import dev.portcullis.control.SessionRegistry;
import dev.portcullis.data.kernel.KernelNat;
import dev.portcullis.data.setup.PassivePortPool;
import dev.portcullis.data.splice.SpliceService;
import dev.portcullis.guard.ExpectationTable;
import dev.portcullis.policy.LoginBans;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.util.List;
import java.util.function.Supplier;

/**
 * The server's own gauges and counters on its Prometheus registry: sessions, passive ports,
 * expectations, zero-copy and kernel NAT, bans, the allocator and the JVM; and one pair of gauges
 * per backend, kept in step with the pool across reloads. (Per-session events count through
 * {@link dev.portcullis.metrics.MicrometerProxyMetrics}.)
 */
final class ServerMeters {

    private final PrometheusMeterRegistry meters;
    private final Supplier<SpliceService> splice;
    private final Supplier<KernelNat> kernelNat;

    /** The splice service and kernel NAT are read when scraped (either may be absent); the server holds this object. */
    ServerMeters(PrometheusMeterRegistry meters, Supplier<SpliceService> splice, Supplier<KernelNat> kernelNat) {
        this.meters = meters;
        this.splice = splice;
        this.kernelNat = kernelNat;
    }

    /** Registers the server's meters; gauges refer to this object (Micrometer holds gauge state weakly). */
    void register(SessionRegistry registry, PassivePortPool pool, ExpectationTable expectations, LoginBans bans) {
        Gauge.builder(SESSIONS_ACTIVE, registry, SessionRegistry::size).description("open control sessions").register(meters);
        Gauge.builder(DATA_PORTS_IN_USE, pool, p -> p.capacity() - p.available()).description("passive ports held").register(meters);
        Gauge.builder(DATA_PORTS_CAPACITY, pool, PassivePortPool::capacity).description("passive ports configured").register(meters);
        Gauge.builder(DATA_EXPECTATIONS, expectations, ExpectationTable::size).description("live data expectations").register(meters);
        FunctionCounter.builder(ZERO_COPY_RELAYS, this, m -> m.splice.get() == null ? 0 : m.splice.get().relays())
                .description("data relays moved by splice(2) instead of being copied").register(meters);
        Gauge.builder(SPLICE_PIPE_BYTES, this, m -> m.splice.get() == null ? 0 : m.splice.get().grownPipeBytes()).baseUnit("bytes")
                .description("bytes of splice pipes grown beyond the kernel's default, open now").register(meters);
        Gauge.builder(KERNEL_NAT_MAPPINGS, this, m -> m.kernelNat.get() == null ? 0 : m.kernelNat.get().activeMappings())
                .description("passive data connections netfilter forwards through the proxy's mappings now").register(meters);
        FunctionCounter.builder(KERNEL_NAT_REQUESTS, this, m -> m.kernelNat.get() == null ? 0 : m.kernelNat.get().mappedTotal())
                .tag("result", "mapped").description("kernel NAT mappings asked of nft, by result (failed: that transfer was relayed)").register(meters);
        FunctionCounter.builder(KERNEL_NAT_REQUESTS, this, m -> m.kernelNat.get() == null ? 0 : m.kernelNat.get().failedTotal())
                .tag("result", "failed").description("kernel NAT mappings asked of nft, by result (failed: that transfer was relayed)").register(meters);
        FunctionCounter.builder(SPLICE_PIPES_GROWN, this, m -> m.splice.get() == null ? 0 : m.splice.get().pipesGrown())
                .description("splice pipes grown beyond the kernel's default (transfers that carried bulk)").register(meters);
        Gauge.builder(BANS_ACTIVE, bans, b -> b.active().size()).description("client addresses banned after failed logins").register(meters);
        if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider provider) {
            Gauge.builder(ALLOCATOR_DIRECT, provider, p -> p.metric().usedDirectMemory()).baseUnit("bytes").register(meters);
            Gauge.builder(ALLOCATOR_HEAP, provider, p -> p.metric().usedHeapMemory()).baseUnit("bytes").register(meters);
        }
        new JvmMemoryMetrics().bindTo(meters);
        new JvmGcMetrics().bindTo(meters);
        new JvmThreadMetrics().bindTo(meters);
        new ClassLoaderMetrics().bindTo(meters);
        new ProcessorMetrics().bindTo(meters);
        new UptimeMetrics().bindTo(meters);
        new FileDescriptorMetrics().bindTo(meters);
    }

    /** Gauges per backend: added for new members, removed for dropped ones. */
    void syncBackends(BackendPool backends, List<BackendMember> dropped) {
        for (BackendMember m : dropped) {
            meters.find(BACKEND_UP).tag(TAG_BACKEND, m.address().toString()).meters().forEach(meters::remove);
            meters.find(BACKEND_SESSIONS).tag(TAG_BACKEND, m.address().toString()).meters().forEach(meters::remove);
        }
        for (BackendMember m : backends.members()) {
            Gauge.builder(BACKEND_UP, m, b -> b.up() ? 1 : 0).tag(TAG_BACKEND, m.address().toString())
                    .description("backend is up by its health checks (1) or taken out (0)").register(meters);
            Gauge.builder(BACKEND_SESSIONS, m, BackendMember::sessions).tag(TAG_BACKEND, m.address().toString())
                    .description("sessions relayed to this backend now").register(meters);
        }
    }
}
