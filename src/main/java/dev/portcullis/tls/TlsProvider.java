package dev.portcullis.tls;

import dev.portcullis.config.TlsConfig;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;

/** Picks the TLS engine: BoringSSL through netty-tcnative where it loads, else the JDK's. */
public final class TlsProvider {

    private TlsProvider() {
    }

    public static SslProvider choose(TlsConfig.Provider wanted) {
        if (wanted == TlsConfig.Provider.JDK) {
            return SslProvider.JDK;
        }
        if (OpenSsl.isAvailable()) {
            return SslProvider.OPENSSL;
        }
        if (wanted == TlsConfig.Provider.OPENSSL) {
            throw new IllegalStateException("tls.provider is 'openssl' but netty-tcnative did not load: "
                    + OpenSsl.unavailabilityCause());
        }
        return SslProvider.JDK;
    }

    public static String describe(SslProvider provider) {
        return provider == SslProvider.OPENSSL
                ? "BoringSSL via netty-tcnative (" + OpenSsl.versionString() + ")"
                : "JDK (" + System.getProperty("java.vendor") + " " + System.getProperty("java.version")
                        + (OpenSsl.isAvailable() ? ")" : "; netty-tcnative unavailable: " + OpenSsl.unavailabilityCause() + ")");
    }

    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
}
