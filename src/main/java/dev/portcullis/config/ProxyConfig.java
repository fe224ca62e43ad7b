package dev.portcullis.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;

/**
 * The whole validated configuration, immutable. Built only by {@link ConfigLoader}.
 *
 * @param listen        control listeners
 * @param backend       the FTP server to relay to; empty: start the embedded demo backend
 * @param passivePorts  the proxy's passive data ports
 * @param publicAddress the address announced in 227 replies; empty: the address the client connected to
 * @param tls           FTPS towards clients
 * @param backendTls    TLS towards the backend
 * @param audit         xferlog and JSON event log files
 * @param admin         admin HTTP listener, drain timeout, backend readiness check
 * @param commands      commands refused by configuration
 * @param proxyProtocol PROXY protocol on the listeners and towards the backend
 */
public record ProxyConfig(
        List<InetSocketAddress> listen,
        Optional<HostAndPort> backend,
        PortRange passivePorts,
        Optional<InetAddress> publicAddress,
        Timeouts timeouts,
        Limits limits,
        DataPolicy data,
        TlsConfig tls,
        BackendTlsConfig backendTls,
        AuditConfig audit,
        AdminConfig admin,
        CommandRules commands,
        ProxyProtocolConfig proxyProtocol) {

    public ProxyConfig {
        listen = List.copyOf(listen);
    }


    public ProxyConfig withBackend(HostAndPort newBackend) {
        return new ProxyConfig(listen, Optional.of(newBackend), passivePorts, publicAddress, timeouts, limits, data, tls, backendTls, audit, admin, commands, proxyProtocol);
    }

    public ProxyConfig withListen(List<InetSocketAddress> newListen) {
        return new ProxyConfig(newListen, backend, passivePorts, publicAddress, timeouts, limits, data, tls, backendTls, audit, admin, commands, proxyProtocol);
    }

    public ProxyConfig withPassivePorts(PortRange range) {
        return new ProxyConfig(listen, backend, range, publicAddress, timeouts, limits, data, tls, backendTls, audit, admin, commands, proxyProtocol);
    }

    public ProxyConfig withPublicAddress(InetAddress address) {
        return new ProxyConfig(listen, backend, passivePorts, Optional.of(address), timeouts, limits, data, tls, backendTls, audit, admin, commands, proxyProtocol);
    }

    public ProxyConfig withTimeouts(Timeouts t) {
        return new ProxyConfig(listen, backend, passivePorts, publicAddress, t, limits, data, tls, backendTls, audit, admin, commands, proxyProtocol);
    }

    public ProxyConfig withLimits(Limits l) {
        return new ProxyConfig(listen, backend, passivePorts, publicAddress, timeouts, l, data, tls, backendTls, audit, admin, commands, proxyProtocol);
    }

    public ProxyConfig withData(DataPolicy d) {
        return new ProxyConfig(listen, backend, passivePorts, publicAddress, timeouts, limits, d, tls, backendTls, audit, admin, commands, proxyProtocol);
    }

    public ProxyConfig withTls(TlsConfig t) {
        return new ProxyConfig(listen, backend, passivePorts, publicAddress, timeouts, limits, data, t, backendTls, audit, admin, commands, proxyProtocol);
    }

    public ProxyConfig withBackendTls(BackendTlsConfig b) {
        return new ProxyConfig(listen, backend, passivePorts, publicAddress, timeouts, limits, data, tls, b, audit, admin, commands, proxyProtocol);
    }

    public ProxyConfig withAudit(AuditConfig a) {
        return new ProxyConfig(listen, backend, passivePorts, publicAddress, timeouts, limits, data, tls, backendTls, a, admin, commands, proxyProtocol);
    }

    public ProxyConfig withAdmin(AdminConfig a) {
        return new ProxyConfig(listen, backend, passivePorts, publicAddress, timeouts, limits, data, tls, backendTls, audit, a, commands, proxyProtocol);
    }

    public ProxyConfig withProxyProtocol(ProxyProtocolConfig p) {
        return new ProxyConfig(listen, backend, passivePorts, publicAddress, timeouts, limits, data, tls, backendTls, audit, admin, commands, p);
    }

    public ProxyConfig withCommands(CommandRules c) {
        return new ProxyConfig(listen, backend, passivePorts, publicAddress, timeouts, limits, data, tls, backendTls, audit, admin, c, proxyProtocol);
    }
}
