package dev.portcullis.config;

import dev.portcullis.net.HostAndPort;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;

/**
 * The whole validated configuration, immutable. Built only by {@link ConfigLoader}.
 *
 * @param listen        control listeners
 * @param backends      the FTP servers to relay to, balancing and health checks; no backend: the embedded demo backend
 * @param passivePorts  the proxy's passive data ports
 * @param publicAddress the address announced in 227 replies; empty: the address the client connected to
 * @param tls           FTPS towards clients
 * @param backendTls    TLS towards the backend
 * @param audit         xferlog and JSON event log files
 * @param admin         admin HTTP listener and drain timeout
 * @param commands      commands refused by configuration, login bans, strict protocol
 * @param proxyProtocol PROXY protocol on the listeners and towards the backend
 * @param transparent   transparent (TPROXY/REDIRECT) mode: relay to the client's original destination
 */
public record ProxyConfig(
        List<InetSocketAddress> listen,
        BackendPoolConfig backends,
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
        ProxyProtocolConfig proxyProtocol,
        TransparentConfig transparent) {

    public ProxyConfig {
        listen = List.copyOf(listen);
    }

    /** A single backend (a pool of one, default balancing and health checks). */
    public ProxyConfig withBackend(HostAndPort newBackend) {
        return withBackends(BackendPoolConfig.single(newBackend).withHealthCheck(backends.healthCheck()));
    }

    public ProxyConfig withPublicAddress(InetAddress address) {
        return new ProxyConfig(listen, backends, passivePorts, Optional.of(address), timeouts, limits, data, tls, backendTls, audit, admin, commands, proxyProtocol, transparent);
    }

    public ProxyConfig withListen(List<InetSocketAddress> v) {
        return new ProxyConfig(v, backends, passivePorts, publicAddress, timeouts, limits, data, tls, backendTls, audit, admin, commands, proxyProtocol, transparent);
    }

    public ProxyConfig withBackends(BackendPoolConfig v) {
        return new ProxyConfig(listen, v, passivePorts, publicAddress, timeouts, limits, data, tls, backendTls, audit, admin, commands, proxyProtocol, transparent);
    }

    public ProxyConfig withPassivePorts(PortRange v) {
        return new ProxyConfig(listen, backends, v, publicAddress, timeouts, limits, data, tls, backendTls, audit, admin, commands, proxyProtocol, transparent);
    }

    public ProxyConfig withTimeouts(Timeouts v) {
        return new ProxyConfig(listen, backends, passivePorts, publicAddress, v, limits, data, tls, backendTls, audit, admin, commands, proxyProtocol, transparent);
    }

    public ProxyConfig withLimits(Limits v) {
        return new ProxyConfig(listen, backends, passivePorts, publicAddress, timeouts, v, data, tls, backendTls, audit, admin, commands, proxyProtocol, transparent);
    }

    public ProxyConfig withData(DataPolicy v) {
        return new ProxyConfig(listen, backends, passivePorts, publicAddress, timeouts, limits, v, tls, backendTls, audit, admin, commands, proxyProtocol, transparent);
    }

    public ProxyConfig withTls(TlsConfig v) {
        return new ProxyConfig(listen, backends, passivePorts, publicAddress, timeouts, limits, data, v, backendTls, audit, admin, commands, proxyProtocol, transparent);
    }

    public ProxyConfig withBackendTls(BackendTlsConfig v) {
        return new ProxyConfig(listen, backends, passivePorts, publicAddress, timeouts, limits, data, tls, v, audit, admin, commands, proxyProtocol, transparent);
    }

    public ProxyConfig withAudit(AuditConfig v) {
        return new ProxyConfig(listen, backends, passivePorts, publicAddress, timeouts, limits, data, tls, backendTls, v, admin, commands, proxyProtocol, transparent);
    }

    public ProxyConfig withAdmin(AdminConfig v) {
        return new ProxyConfig(listen, backends, passivePorts, publicAddress, timeouts, limits, data, tls, backendTls, audit, v, commands, proxyProtocol, transparent);
    }

    public ProxyConfig withCommands(CommandRules v) {
        return new ProxyConfig(listen, backends, passivePorts, publicAddress, timeouts, limits, data, tls, backendTls, audit, admin, v, proxyProtocol, transparent);
    }

    public ProxyConfig withProxyProtocol(ProxyProtocolConfig v) {
        return new ProxyConfig(listen, backends, passivePorts, publicAddress, timeouts, limits, data, tls, backendTls, audit, admin, commands, v, transparent);
    }

    public ProxyConfig withTransparent(TransparentConfig v) {
        return new ProxyConfig(listen, backends, passivePorts, publicAddress, timeouts, limits, data, tls, backendTls, audit, admin, commands, proxyProtocol, v);
    }
}
