package dev.portcullis.data.setup;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Passive ports held per client address, so that one client (or one address behind which many
 * sessions hide) cannot take the whole pool. Shared by all event loops.
 */
public final class PortBudget {

    private final ConcurrentHashMap<InetAddress, Integer> held = new ConcurrentHashMap<>();

    /** Takes one port for {@code address} if it holds fewer than {@code max}; false otherwise. */
    public boolean tryTake(InetAddress address, int max) {
        boolean[] taken = {false};
        held.compute(address, (a, n) -> {
            int now = n == null ? 0 : n;
            if (now >= max) {
                return n;
            }
            taken[0] = true;
            return now + 1;
        });
        return taken[0];
    }

    public void give(InetAddress address) {
        held.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
    }

    public int held(InetAddress address) {
        return held.getOrDefault(address, 0);
    }
}
