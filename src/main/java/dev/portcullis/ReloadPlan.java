package dev.portcullis;

import dev.portcullis.config.AdminConfig;
import dev.portcullis.config.ConfigException;
import dev.portcullis.config.ProxyConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * What a reload applies: the new configuration but for what needs a restart, which stays as it
 * runs (listeners for control, implicit FTPS and admin, the passive range, the PROXY protocol on
 * the listeners, transparent mode, the kernel data path), and the keys so kept, for the log.
 *
 * @param effective the configuration new sessions get
 * @param kept      the changed keys that wait for a restart
 */
record ReloadPlan(ProxyConfig effective, List<String> kept) {

    static ReloadPlan of(ProxyConfig running, ProxyConfig next) throws ConfigException {
        List<String> kept = new ArrayList<>();
        if (!next.listen().equals(running.listen()) || !next.tls().implicitListen().equals(running.tls().implicitListen())) {
            kept.add("listen");
        }
        if (!next.passivePorts().equals(running.passivePorts())) {
            kept.add("passive-ports");
        }
        if (!next.admin().listen().equals(running.admin().listen())) {
            kept.add("admin.listen");
        }
        if (!next.data().kernelNat().equals(running.data().kernelNat())) {
            // The nftables table and its writer exist only from a start: the running setting is kept, and
            // kept before the effective config is built, so that the config in force says what is applied.
            kept.add("data.kernel-nat");
            next = next.withData(next.data().withKernelNat(running.data().kernelNat()));
        }
        // The admin token applies at once.
        ProxyConfig effective = next.toBuilder()
                .listen(running.listen())
                .passivePorts(running.passivePorts())
                .tls(next.tls().withImplicitListen(running.tls().implicitListen()))
                .admin(new AdminConfig(running.admin().listen(), running.admin().drainTimeout(), next.admin().token()))
                .proxyProtocol(running.proxyProtocol())
                .transparent(running.transparent())
                .build();
        if (!running.tls().implicitListen().isEmpty() && !effective.tls().enabled()) {
            throw new ConfigException("tls: implicit FTPS listeners are running; a reload cannot turn TLS off (restart instead)");
        }
        if (!next.transparent().equals(running.transparent())) {
            kept.add("transparent");
        }
        return new ReloadPlan(effective, List.copyOf(kept));
    }
}
