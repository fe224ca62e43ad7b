package dev.portcullis.backend;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Resolves the backend's name for each new session off the event loops (the JDK resolver blocks,
 * and a slow DNS server must not stall every session of a loop), with a time limit. Address
 * literals need no lookup and are returned at once.
 */
public final class BackendResolver implements AutoCloseable {

    private final ExecutorService lookups = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "portcullis-dns");
        t.setDaemon(true);
        return t;
    });

    public io.netty.util.concurrent.Future<InetSocketAddress> resolve(EventLoop loop, InetSocketAddress address, Duration timeout) {
        Promise<InetSocketAddress> promise = loop.newPromise();
        if (!address.isUnresolved()) {
            return promise.setSuccess(address);
        }
        lookups.execute(() -> {
            try {
                InetAddress a = InetAddress.getByName(address.getHostString());
                promise.trySuccess(new InetSocketAddress(a, address.getPort()));
            } catch (UnknownHostException e) {
                promise.tryFailure(e);
            }
        });
        var deadline = loop.schedule(() -> promise.tryFailure(new TimeoutException("name lookup took over " + timeout.toMillis() + " ms")),
                timeout.toMillis(), TimeUnit.MILLISECONDS);
        // An answer in time cancels the deadline: otherwise every session's timer (and the promise it
        // holds) would wait out the whole connect timeout on the loop's queue.
        promise.addListener(f -> deadline.cancel(false));
        return promise;
    }

    @Override
    public void close() {
        lookups.shutdownNow();
    }
}
