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

    /**
     * The connection that claimed the expectation is the client's (a client's passive listener goes
     * on listening until its owner says so: a TLS data connection is the client's only once it has
     * resumed the control session): stop accepting.
     */
    public void confirm() {
        stopAccepting();
    }

    /**
     * The connection that claimed the expectation turned out not to be the client's: the
     * expectation is armed again, within its original lifetime, and the port keeps listening.
     * False if the listener is closed or the expectation has expired: the transfer cannot be had.
     */
    public boolean rearm() {
        return !closed && serverChannel.isOpen() && table.rearm(expectation);
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
