package dev.portcullis.backend;

import dev.portcullis.net.HostAndPort;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One backend of the pool: its address, its health as the checks see it (with rise/fall
 * hysteresis), the sessions it serves now, and what the proxy learned about it. Shared by all
 * event loops and the checker thread, so its state is volatile or atomic.
 */
public final class BackendMember {

    private final HostAndPort address;
    /** Immutable, so made once: parsing the literal for every session's connect is wasted work. */
    private final InetSocketAddress socketAddress;
    private final BackendCapabilities capabilities = new BackendCapabilities();
    private final AtomicInteger sessions = new AtomicInteger();
    private volatile boolean up = true;
    private volatile int goodInRow;
    private volatile int badInRow;
    private volatile String lastResult = "not checked yet";
    private volatile AdminState adminState = AdminState.READY;

    /**
     * What the operator said of this member (the admin API; HAProxy's runtime API states): ready;
     * drain: no new sessions, running ones finish; maint: no new sessions, running ones closed.
     */
    public enum AdminState { READY, DRAIN, MAINT }

    public BackendMember(HostAndPort address) {
        this.address = address;
        this.socketAddress = address.socketAddress();
    }

    public HostAndPort address() {
        return address;
    }

    /** The address to connect to: resolved for a literal, unresolved for a name (looked up per session). */
    public InetSocketAddress socketAddress() {
        return socketAddress;
    }

    public BackendCapabilities capabilities() {
        return capabilities;
    }

    public boolean up() {
        return up;
    }

    public AdminState adminState() {
        return adminState;
    }

    public void adminState(AdminState state) {
        this.adminState = state;
    }

    /** Whether new sessions may go to this member: its checks pass and the operator has not taken it out. */
    public boolean acceptsSessions() {
        return up && adminState == AdminState.READY;
    }

    public int sessions() {
        return sessions.get();
    }

    public void sessionStarted() {
        sessions.incrementAndGet();
    }

    public void sessionEnded() {
        sessions.decrementAndGet();
    }

    public String lastResult() {
        return lastResult;
    }

    /**
     * Records one check's result.
     *
     * @return true if this result changed the member's state (up to down or back)
     */
    synchronized boolean record(boolean ok, String result, int rise, int fall) {
        lastResult = result;
        if (ok) {
            badInRow = 0;
            goodInRow++;
            if (!up && goodInRow >= rise) {
                up = true;
                return true;
            }
        } else {
            goodInRow = 0;
            badInRow++;
            if (up && badInRow >= fall) {
                up = false;
                return true;
            }
        }
        return false;
    }

    /** Checks turned off: the member counts as up. */
    void forceUp() {
        up = true;
        goodInRow = 0;
        badInRow = 0;
        lastResult = "health checks off";
    }

    @Override
    public String toString() {
        return address.toString();
    }
}
