package dev.portcullis.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonCreator;
import dev.portcullis.net.HostAndPort;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;

/**
 * The whole validated configuration, immutable. Built by {@link ConfigLoader}; derived ones (a
 * reload's effective config, tests' variations) through {@link #toBuilder()}.
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

    /** The file's top level: the backend pool's keys (backend, balance, user-routes, health-check) sit here. */
    @JsonCreator
    static ProxyConfig fromFile(
            @JsonProperty("listen") List<InetSocketAddress> listen,
            @JsonProperty("backend") List<HostAndPort> backend,
            @JsonProperty("balance") BackendPoolConfig.Balance balance,
            @JsonProperty("user-routes") List<BackendPoolConfig.UserRoute> userRoutes,
            @JsonProperty("health-check") HealthCheckConfig healthCheck,
            @JsonProperty("passive-ports") PortRange passivePorts,
            @JsonProperty("public-address") Optional<InetAddress> publicAddress,
            @JsonProperty("timeouts") Timeouts timeouts,
            @JsonProperty("limits") Limits limits,
            @JsonProperty("data") DataPolicy data,
            @JsonProperty("tls") TlsConfig tls,
            @JsonProperty("backend-tls") BackendTlsConfig backendTls,
            @JsonProperty("audit") AuditConfig audit,
            @JsonProperty("admin") AdminConfig admin,
            @JsonProperty("policy") CommandRules policy,
            @JsonProperty("proxy-protocol") ProxyProtocolConfig proxyProtocol,
            @JsonProperty("transparent") TransparentConfig transparent) {
        return new ProxyConfig(listen, new BackendPoolConfig(backend, balance, userRoutes, healthCheck), passivePorts, publicAddress,
                timeouts, limits, data, tls, backendTls, audit, admin, policy, proxyProtocol, transparent);
    }

    /** A single backend (a pool of one, default balancing and health checks). */
    public ProxyConfig withBackend(HostAndPort newBackend) {
        return withBackends(BackendPoolConfig.single(newBackend).withHealthCheck(backends.healthCheck()));
    }

    public ProxyConfig withPublicAddress(InetAddress address) {
        return toBuilder().publicAddress(Optional.of(address)).build();
    }

    public ProxyConfig withListen(List<InetSocketAddress> v) {
        return toBuilder().listen(v).build();
    }

    public ProxyConfig withBackends(BackendPoolConfig v) {
        return toBuilder().backends(v).build();
    }

    public ProxyConfig withPassivePorts(PortRange v) {
        return toBuilder().passivePorts(v).build();
    }

    public ProxyConfig withTimeouts(Timeouts v) {
        return toBuilder().timeouts(v).build();
    }

    public ProxyConfig withLimits(Limits v) {
        return toBuilder().limits(v).build();
    }

    public ProxyConfig withData(DataPolicy v) {
        return toBuilder().data(v).build();
    }

    public ProxyConfig withTls(TlsConfig v) {
        return toBuilder().tls(v).build();
    }

    public ProxyConfig withBackendTls(BackendTlsConfig v) {
        return toBuilder().backendTls(v).build();
    }

    public ProxyConfig withAudit(AuditConfig v) {
        return toBuilder().audit(v).build();
    }

    public ProxyConfig withAdmin(AdminConfig v) {
        return toBuilder().admin(v).build();
    }

    public ProxyConfig withCommands(CommandRules v) {
        return toBuilder().commands(v).build();
    }

    public ProxyConfig withProxyProtocol(ProxyProtocolConfig v) {
        return toBuilder().proxyProtocol(v).build();
    }

    public ProxyConfig withTransparent(TransparentConfig v) {
        return toBuilder().transparent(v).build();
    }

    /** A copy to change: the one way to derive a configuration from another (the withers above are its shorthands). */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Changes to a configuration, component by component, without positional copies. */
    public static final class Builder {
        private List<InetSocketAddress> listen;
        private BackendPoolConfig backends;
        private PortRange passivePorts;
        private Optional<InetAddress> publicAddress;
        private Timeouts timeouts;
        private Limits limits;
        private DataPolicy data;
        private TlsConfig tls;
        private BackendTlsConfig backendTls;
        private AuditConfig audit;
        private AdminConfig admin;
        private CommandRules commands;
        private ProxyProtocolConfig proxyProtocol;
        private TransparentConfig transparent;

        private Builder(ProxyConfig c) {
            this.listen = c.listen();
            this.backends = c.backends();
            this.passivePorts = c.passivePorts();
            this.publicAddress = c.publicAddress();
            this.timeouts = c.timeouts();
            this.limits = c.limits();
            this.data = c.data();
            this.tls = c.tls();
            this.backendTls = c.backendTls();
            this.audit = c.audit();
            this.admin = c.admin();
            this.commands = c.commands();
            this.proxyProtocol = c.proxyProtocol();
            this.transparent = c.transparent();
        }

        public Builder listen(List<InetSocketAddress> v) {
            this.listen = v;
            return this;
        }

        public Builder backends(BackendPoolConfig v) {
            this.backends = v;
            return this;
        }

        public Builder passivePorts(PortRange v) {
            this.passivePorts = v;
            return this;
        }

        public Builder publicAddress(Optional<InetAddress> v) {
            this.publicAddress = v;
            return this;
        }

        public Builder timeouts(Timeouts v) {
            this.timeouts = v;
            return this;
        }

        public Builder limits(Limits v) {
            this.limits = v;
            return this;
        }

        public Builder data(DataPolicy v) {
            this.data = v;
            return this;
        }

        public Builder tls(TlsConfig v) {
            this.tls = v;
            return this;
        }

        public Builder backendTls(BackendTlsConfig v) {
            this.backendTls = v;
            return this;
        }

        public Builder audit(AuditConfig v) {
            this.audit = v;
            return this;
        }

        public Builder admin(AdminConfig v) {
            this.admin = v;
            return this;
        }

        public Builder commands(CommandRules v) {
            this.commands = v;
            return this;
        }

        public Builder proxyProtocol(ProxyProtocolConfig v) {
            this.proxyProtocol = v;
            return this;
        }

        public Builder transparent(TransparentConfig v) {
            this.transparent = v;
            return this;
        }

        public ProxyConfig build() {
            return new ProxyConfig(listen, backends, passivePorts, publicAddress, timeouts, limits, data, tls, backendTls, audit, admin, commands, proxyProtocol, transparent);
        }
    }
}
