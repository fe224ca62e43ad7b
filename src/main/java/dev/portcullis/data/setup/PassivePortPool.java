package dev.portcullis.data.setup;

import java.util.BitSet;
import java.util.OptionalInt;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The proxy's passive data ports, shared by all sessions (of all event loops, hence synchronized;
 * it is touched once per data connection, not per byte). Ports are handed out from a moving cursor
 * that starts at a random place, so consecutive sessions do not get predictable ports.
 */
public final class PassivePortPool {

    private final int low;
    private final int high;
    private final BitSet inUse;
    private int cursor;

    public PassivePortPool(int low, int high) {
        if (low < 1 || high > 65535 || low > high) {
            throw new IllegalArgumentException("passive ports: " + low + "-" + high + " (expected: 1 <= LO <= HI <= 65535)");
        }
        this.low = low;
        this.high = high;
        this.inUse = new BitSet(high - low + 1);
        this.cursor = ThreadLocalRandom.current().nextInt(high - low + 1);
    }

    public synchronized OptionalInt acquire() {
        int size = capacity();
        for (int i = 0; i < size; i++) {
            int index = (cursor + i) % size;
            if (!inUse.get(index)) {
                inUse.set(index);
                cursor = (index + 1) % size;
                return OptionalInt.of(low + index);
            }
        }
        return OptionalInt.empty();
    }

    public synchronized void release(int port) {
        if (port < low || port > high || !inUse.get(port - low)) {
            throw new IllegalStateException("port " + port + " was not acquired from this pool");
        }
        inUse.clear(port - low);
    }

    public int capacity() {
        return high - low + 1;
    }

    public synchronized int available() {
        return capacity() - inUse.cardinality();
    }
}
