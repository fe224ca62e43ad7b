package dev.portcullis.data.kernel;

import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Adds and removes mappings with nf_tables netlink messages on a socket of the proxy's own: one
 * write and one or two reads per mapping, some tens of microseconds, done on the caller's thread
 * (the kernel handles a batch inside the write, so its answers are waiting when the write returns).
 *
 * <p>Java cannot open a netlink socket; the foreign-function API of Java 22+ can call socket(2),
 * reached by reflection as the build targets Java 17, and Netty's {@link FileDescriptor} reads and
 * writes it. Where that is not possible {@link #open()} returns empty and the nft process is used.
 */
final class NetlinkMappings implements MappingWriter {

    private static final int AF_NETLINK = 16;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_NONBLOCK = 04000;
    private static final int SOCK_CLOEXEC = 02000000;
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(KernelNat.class);
    private static String unavailableBecause = "";

    private final String table;
    private final Duration ttl;
    private final FileDescriptor socket;
    /** One request and one answer buffer, reused: calls are serialised on this object. */
    private final ByteBuffer request = ByteBuffer.allocateDirect(1024).order(ByteOrder.nativeOrder());
    private final ByteBuffer answers = ByteBuffer.allocateDirect(64 * 1024).order(ByteOrder.nativeOrder());
    private int seq = (int) (System.nanoTime() & 0x3fffffff);

    private NetlinkMappings(String table, Duration ttl, FileDescriptor socket) {
        this.table = table;
        this.ttl = ttl;
        this.socket = socket;
    }

    /** A netlink socket in this process's network namespace, or empty (with {@link #unavailableBecause()}). */
    static Optional<NetlinkMappings> open(String table, Duration ttl) {
        dev.portcullis.os.LibcCall call = dev.portcullis.os.LibcCall.lookUp("socket", 3, -1);
        MethodHandle socketCall = call.handle();
        if (socketCall == null) {
            unavailableBecause = call.unavailableBecause().startsWith("needs Java") ? "netlink " + call.unavailableBecause() : call.unavailableBecause();
            return Optional.empty();
        }
        try {
            int fd = (int) socketCall.invokeExact(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NftNetlink.NETLINK_NETFILTER);
            if (fd < 0) {
                unavailableBecause = "socket(AF_NETLINK) failed";
                return Optional.empty();
            }
            return Optional.of(new NetlinkMappings(table, ttl, new FileDescriptor(fd)));
        } catch (Throwable e) {
            unavailableBecause = "socket(AF_NETLINK): " + e;
            return Optional.empty();
        }
    }

    static String unavailableBecause() {
        return unavailableBecause;
    }

    /** Done when it returns: the kernel handles the batch inside the write. Fails with the kernel's reason (nothing added then). */
    @Override
    public synchronized CompletableFuture<Void> add(NatMapping m) {
        int first = next();
        try {
            exchange(NftNetlink.add(request, table, m, ttl, first), first);
            return CompletableFuture.completedFuture(null);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public synchronized void remove(NatMapping m) {
        int first = next();
        try {
            exchange(NftNetlink.remove(request, table, m, first), first);
        } catch (IOException e) {
            if (!e.getMessage().contains("errno 2)")) { // ENOENT: timed out already
                log.warn("kernel NAT: removing {}: {}", m, e.getMessage());
            }
        }
    }

    @Override
    public String gone() {
        return null;
    }

    @Override
    public String describe() {
        return "by netlink";
    }

    private int next() {
        int s = seq;
        seq = (seq + 4) & 0x3fffffff;
        return s;
    }

    private void exchange(ByteBuffer batch, int first) throws IOException {
        int written = socket.write(batch, batch.position(), batch.limit());
        if (written != batch.remaining()) {
            throw new IOException("netlink took " + written + " of " + batch.remaining() + " bytes");
        }
        int[] errno = {0};
        int expected = NftNetlink.MESSAGES_PER_BATCH;
        int got = 0;
        // Bounded: the answers are queued by the time the write returns; an empty read means none is coming.
        for (int reads = 0; got < expected && reads < 16; reads++) {
            answers.clear();
            int n = socket.read(answers, 0, answers.capacity());
            if (n <= 0) {
                break;
            }
            answers.limit(n);
            got += NftNetlink.answers(answers, (s, e) -> {
                if (s - first > 0 && s - first < 4 && e != 0 && errno[0] == 0) {
                    errno[0] = e;
                }
            });
        }
        if (errno[0] != 0) {
            throw new IOException("nf_tables refused the mapping (errno " + errno[0] + ")");
        }
        if (got < expected) {
            throw new IOException("nf_tables answered " + got + " of " + expected + " messages");
        }
    }

    @Override
    public synchronized void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing
        }
    }
}
