package dev.portcullis.data.setup;

import dev.portcullis.guard.DataExpectation;
import dev.portcullis.guard.ExpectationTable;
import io.netty.channel.Channel;

/**
 * A listening socket waiting for one expected data connection. It owns its expectation and, when it
 * came from the pool, its port: {@link #close()} gives both back, and is safe to call more than once.
 */
public final class PassiveListener {

    private final Channel serverChannel;
    private final int port;
    private final DataExpectation expectation;
    private final ExpectationTable table;
    private final PassivePortPool pool; // null for an ephemeral port
    private final Runnable onRelease;
    private boolean closed;

    PassiveListener(Channel serverChannel, int port, DataExpectation expectation, ExpectationTable table, PassivePortPool pool,
                    Runnable onRelease) {
        this.onRelease = onRelease;
        this.serverChannel = serverChannel;
        this.port = port;
        this.expectation = expectation;
        this.table = table;
        this.pool = pool;
    }

    public int port() {
        return port;
    }

    public DataExpectation expectation() {
        return expectation;
    }

    /** Stops accepting (after the expected peer arrived); the port stays reserved until {@link #close()}. */
    void stopAccepting() {
        serverChannel.close();
    }

    /** True if the expectation was still unclaimed, and is now cancelled (it expired unused). */
    public boolean expireIfUnclaimed() {
        if (table.cancel(expectation)) {
            close();
            return true;
        }
        return false;
    }

    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        table.cancel(expectation);
        serverChannel.close();
        if (pool != null) {
            pool.release(port);
        }
        onRelease.run();
    }
}
