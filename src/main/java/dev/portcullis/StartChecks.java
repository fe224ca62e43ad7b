package dev.portcullis;

import dev.portcullis.config.ConfigException;
import dev.portcullis.config.ProxyConfig;
import dev.portcullis.tls.BackendTls;
import dev.portcullis.tls.ServerTls;
import java.io.IOException;

/**
 * The checks a start makes before it binds anything, each naming the key at fault: shared by
 * {@link PortcullisServer#start} and {@code portcullis --check-config}, which binds nothing.
 */
final class StartChecks {

    private StartChecks() {
    }

    /**
     * What {@link PortcullisServer#start} refuses before it binds anything, checked without binding or creating
     * anything (no listener, no nftables table): for {@code portcullis --check-config}.
     */
    static void check(ProxyConfig c) throws ConfigException {
        requireTransport(c, Transport.select(true));
        if (c.data().kernelNat().enabled()) {
            requireForwarding(c);
        }
        if (c.tls().enabled()) {
            serverTls(c);
        }
        if (c.backendTls().enabled()) {
            backendTls(c);
        }
    }

    static void requireTransport(ProxyConfig c, Transport transport) throws ConfigException {
        if (c.transparent().enabled() && !transport.name().equals("epoll")) {
            throw new ConfigException("transparent.mode: '" + c.transparent().mode().name().toLowerCase(java.util.Locale.ROOT)
                    + "' (needs the native epoll transport on Linux; " + transport.reason() + ")");
        }
    }

    static ServerTls serverTls(ProxyConfig c) throws ConfigException {
        try {
            return new ServerTls(c.tls());
        } catch (javax.net.ssl.SSLException | RuntimeException e) {
            throw new ConfigException("tls.cert/tls.key: '" + c.tls().cert().orElseThrow() + "', '"
                    + c.tls().key().orElseThrow() + "' (cannot be loaded: " + e.getMessage() + ")");
        }
    }

    static BackendTls backendTls(ProxyConfig c) throws ConfigException {
        try {
            return new BackendTls(c.backendTls(), c.tls().provider(), c.tls().handshakeTimeout());
        } catch (javax.net.ssl.SSLException | RuntimeException e) {
            throw new ConfigException("backend-tls: cannot build the TLS client context: " + e.getMessage());
        }
    }

    /**
     * Kernel-forwarded data from a client to a backend on another host is routed by this host: with
     * forwarding off every such transfer would time out, so say so before starting.
     */
    static void requireForwarding(ProxyConfig c) throws ConfigException {
        boolean allLocal = c.backends().allBackends().stream().allMatch(b -> b.host().equals("localhost") || b.host().startsWith("127."));
        if (allLocal) {
            return;
        }
        try {
            String on = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/net/ipv4/ip_forward")).strip();
            if (!on.equals("1")) {
                throw new ConfigException("data.kernel-nat: 'true' (needs net.ipv4.ip_forward = 1 to forward data to "
                        + c.backends().allBackends() + "; it is " + on + ")");
            }
        } catch (IOException e) {
            throw new ConfigException("data.kernel-nat: 'true' (cannot read net.ipv4.ip_forward: " + e.getMessage() + ")");
        }
    }
}
