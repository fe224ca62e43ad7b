package dev.portcullis.control;

import dev.portcullis.net.Addresses;
import dev.portcullis.data.setup.DataSetup;
import dev.portcullis.data.setup.PassiveListener;
import dev.portcullis.data.kernel.KernelNat;
import dev.portcullis.data.kernel.NatMapping;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * data.kernel-nat for one session: has netfilter forward a plain passive data connection straight
 * to the backend's data port. The passive listener stays bound: it holds the port, and a connection
 * from any other address still reaches it and is refused as theft. Where the kernel cannot take
 * the transfer (TLS, IPv6, backend active mode) or the mapping fails, the proxy relays as usual.
 */
final class KernelForwarding {

    private static final Logger log = LoggerFactory.getLogger("portcullis.session");

    private final ControlSession session;

    KernelForwarding(ControlSession session) {
        this.session = session;
    }

    /** Maps {@code s} in the kernel if it can go there, then runs {@code announce} (at once if not). */
    void forwardIfEligible(DataSetup s, PassiveListener listener, Runnable announce) {
        SessionContext ctx = session.ctx();
        KernelNat nat = ctx.kernelNat();
        NatMapping m = nat == null || !nat.available() || session.security().protectData() || ctx.backendTls() != null
                || s.backendTarget() == null || s.isClosed() ? null : mapping(s, listener);
        if (m == null) {
            announce.run();
            return;
        }
        // By netlink the answer is in before map returns, and this runs here at once; the nft process
        // answers on a thread of its own (or times out), and the session goes on on its event loop.
        nat.map(m).whenComplete((v, e) -> {
            if (session.client().eventLoop().inEventLoop()) {
                answered(s, nat, m, e, announce);
            } else {
                session.client().eventLoop().execute(() -> answered(s, nat, m, e, announce));
            }
        });
    }

    private void answered(DataSetup s, KernelNat nat, NatMapping m, Throwable failure, Runnable announce) {
        if (failure != null) {
            nat.abandon(m);
            log.warn("{} kernel NAT mapping {} failed ({}); this transfer is relayed", session.id(), m, failure.getMessage());
        } else {
            s.markInKernel();
            s.onClose(() -> nat.unmap(m)); // at once if the setup was discarded meanwhile
            log.debug("{} data forwarded by the kernel: {}", session.id(), m);
        }
        announce.run();
    }

    private NatMapping mapping(DataSetup s, PassiveListener listener) {
        Inet4Address clientV4 = Addresses.ipv4(session.clientAddress());
        Inet4Address publicV4 = Addresses.ipv4(((InetSocketAddress) session.client().localAddress()).getAddress());
        Inet4Address backendV4 = Addresses.ipv4(s.backendTarget().getAddress());
        Inet4Address sourceV4 = Addresses.ipv4(session.connector().backend().localAddress().getAddress());
        if (clientV4 == null || publicV4 == null || backendV4 == null || sourceV4 == null) {
            return null; // the proxy's table is IPv4 only
        }
        return new NatMapping(clientV4, publicV4, listener.port(), backendV4, s.backendTarget().getPort(), sourceV4);
    }
}
