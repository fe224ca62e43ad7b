package dev.portcullis;

import dev.portcullis.backend.BackendMember;
import dev.portcullis.config.BackendPoolConfig;
import dev.portcullis.config.DataPolicy;
import dev.portcullis.config.ProxyConfig;
import dev.portcullis.config.TlsConfig;
import dev.portcullis.control.SessionContext;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The lines a start or reload logs about the configuration it applies: the pool, and every loosened security default. */
final class StartLog {

    private static final Logger log = LoggerFactory.getLogger("portcullis");

    private StartLog() {
    }

    static void pool(ProxyConfig c) {
        BackendPoolConfig b = c.backends();
        if (b.allBackends().size() > 1 || b.balance() != BackendPoolConfig.Balance.ROUND_ROBIN) {
            log.info("backend pool: {} ({}), health checks {}", b.allBackends(),
                    b.balance().name().toLowerCase(Locale.ROOT).replace('_', '-'),
                    b.healthCheck().enabled() ? "every " + b.healthCheck().interval().toMillis() + " ms, rise "
                            + b.healthCheck().rise() + ", fall " + b.healthCheck().fall() : "off");
        }
    }

    static void listening(InetSocketAddress address, SocketAddress bound, boolean implicitTls, SessionContext context,
                          List<BackendMember> backends) {
        ProxyConfig config = context.config();
        TlsConfig.ListenerPolicy policy = config.tls().policyFor(address);
        log.info("listening on {}{} -> {}{}, passive ports {}{}", bound,
                implicitTls ? " (implicit FTPS)" : context.serverTls() != null ? " (FTPS " + policy.policy().name().toLowerCase()
                        + ", data " + policy.dataProtection().name().toLowerCase().replace('_', '-') + ")" : "",
                config.transparent().enabled() ? "original destinations in " + config.transparent().allowDestinations()
                        : "backend " + backends, context.backendTls() != null ? " (" + config.backendTls().mode().name().toLowerCase() + " TLS)" : "",
                config.passivePorts(), config.publicAddress().map(a -> ", public address " + a.getHostAddress()).orElse(""));
    }

    static void loosenedSecurity(ProxyConfig c) {
        if (c.data().allowForeignAddress()) {
            log.warn("SECURITY LOOSENED: data.allow-foreign-address is on: PORT/EPRT may name other hosts (FXP, FTP bounce)");
        }
        if (c.data().allowPrivilegedPorts()) {
            log.warn("SECURITY LOOSENED: data.allow-privileged-ports is on: PORT/EPRT may name ports below 1024");
        }
        if (c.backendTls().insecure()) {
            log.warn("SECURITY LOOSENED: backend-tls.insecure is on: the backend's certificate is not verified");
        }
        if (c.tls().enabled() && c.tls().policy() == TlsConfig.Policy.OPTIONAL) {
            log.warn("SECURITY LOOSENED: tls.policy is 'optional': clients may log in without TLS");
        }
        if (c.tls().enabled() && c.tls().dataProtection() == TlsConfig.DataProtection.ANY) {
            log.warn("SECURITY LOOSENED: tls.data-protection is 'any': data connections may be unencrypted (PROT C)");
        }
        if (c.tls().enabled()) {
            for (TlsConfig.ListenerPolicy l : c.tls().perListener()) {
                // An override is as much a loosening as the global key: said per listener.
                if (l.policy() != TlsConfig.Policy.REQUIRED && c.tls().policy() == TlsConfig.Policy.REQUIRED) {
                    log.warn("SECURITY LOOSENED: tls.listeners[{}].policy is '{}': clients of that listener may log in without TLS",
                            l.address(), l.policy().name().toLowerCase(Locale.ROOT));
                }
                if (l.dataProtection() == TlsConfig.DataProtection.ANY && c.tls().dataProtection() != TlsConfig.DataProtection.ANY) {
                    log.warn("SECURITY LOOSENED: tls.listeners[{}].data-protection is 'any': data connections of that listener may be unencrypted",
                            l.address());
                }
            }
        }
        if (c.proxyProtocol().accept() && c.proxyProtocol().trustsAnyone()) {
            log.warn("SECURITY LOOSENED: proxy-protocol.trusted-balancers admits every address: any client can claim any source address");
        }
        if (c.data().backendPasvAddress() == DataPolicy.BackendPasvAddress.ANNOUNCED) {
            log.warn("SECURITY LOOSENED: data.backend-pasv-address is 'announced': the backend's 227 chooses where the proxy connects");
        }
    }
}
