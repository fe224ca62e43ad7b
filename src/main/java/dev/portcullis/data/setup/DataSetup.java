package dev.portcullis.data.setup;

import dev.portcullis.data.relay.DataRelay;
import java.net.InetSocketAddress;

/**
 * Everything one PASV/EPSV/PORT/EPRT prepared for the next transfer: how the client side and the
 * backend side will be connected, the listeners and expectations that wait for them, and the relay
 * that will join them. One-shot: a transfer consumes it; {@link #close()} releases all of it.
 */
public final class DataSetup {

    /** How the client's data connection is made. */
    public enum ClientMode { PASSIVE, ACTIVE }

    private final ClientMode clientMode;
    private final DataRelay relay = new DataRelay();
    private PassiveListener clientListener;
    private PassiveListener backendListener;
    private final InetSocketAddress activeClientTarget;
    private InetSocketAddress backendTarget;
    private boolean ready;
    private boolean backendConnectStarted;
    private boolean clientConnectStarted;
    private boolean closed;
    private boolean clientNeverCame;
    private boolean tlsRefused;
    private boolean inKernel;
    private final java.util.List<Runnable> closeActions = new java.util.ArrayList<>(1);

    private DataSetup(ClientMode clientMode, InetSocketAddress activeClientTarget) {
        this.clientMode = clientMode;
        this.activeClientTarget = activeClientTarget;
    }

    public static DataSetup passive() {
        return new DataSetup(ClientMode.PASSIVE, null);
    }

    public static DataSetup active(InetSocketAddress clientTarget) {
        return new DataSetup(ClientMode.ACTIVE, clientTarget);
    }

    public ClientMode clientMode() {
        return clientMode;
    }

    public DataRelay relay() {
        return relay;
    }

    public InetSocketAddress activeClientTarget() {
        return activeClientTarget;
    }

    public void clientListener(PassiveListener l) {
        this.clientListener = l;
        if (closed) {
            l.close();
        }
    }

    public PassiveListener clientListener() {
        return clientListener;
    }

    public void backendListener(PassiveListener l) {
        this.backendListener = l;
        if (closed) {
            l.close();
        }
    }

    public PassiveListener backendListener() {
        return backendListener;
    }

    public void backendTarget(InetSocketAddress target) {
        this.backendTarget = target;
    }

    /** The backend's data address when the proxy connects to the backend (backend passive mode). */
    public InetSocketAddress backendTarget() {
        return backendTarget;
    }

    /** Netfilter forwards the client's data connection straight to the backend (data.kernel-nat): no relay. */
    public void markInKernel() {
        this.inKernel = true;
    }

    /** True when netfilter carries this setup's data connection, false when the proxy relays it. */
    public boolean inKernel() {
        return inKernel;
    }

    public void markReady() {
        ready = true;
    }

    public boolean isReady() {
        return ready && !closed;
    }

    public boolean isClosed() {
        return closed;
    }

    /** True the first time only: the caller should now connect to the backend's data port. */
    /** A client data connection was refused for TLS (no resumption of the control session, or a failed handshake). */
    public void markTlsRefused() {
        tlsRefused = true;
    }

    public boolean tlsRefused() {
        return tlsRefused;
    }

    /** The passive expectation expired while a transfer waited for the client: it never connected. */
    public void markClientNeverCame() {
        clientNeverCame = true;
    }

    public boolean clientNeverCame() {
        return clientNeverCame;
    }

    public boolean startBackendConnect() {
        if (backendConnectStarted || backendTarget == null || closed) {
            return false;
        }
        backendConnectStarted = true;
        return true;
    }

    /** True the first time only: the caller should now connect to the client's announced address. */
    public boolean startClientConnect() {
        if (clientConnectStarted || activeClientTarget == null || closed) {
            return false;
        }
        clientConnectStarted = true;
        return true;
    }

    /** Runs {@code action} when the setup closes (or at once if it already has): cancels timers tied to it. */
    public void onClose(Runnable action) {
        if (closed) {
            action.run();
        } else {
            closeActions.add(action);
        }
    }

    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeActions.forEach(Runnable::run);
        closeActions.clear();
        relay.abort();
        if (clientListener != null) {
            clientListener.close();
        }
        if (backendListener != null) {
            backendListener.close();
        }
    }
}
