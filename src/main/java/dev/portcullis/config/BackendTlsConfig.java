package dev.portcullis.config;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import java.nio.file.Path;
import java.util.Optional;

/**
 * TLS towards the backend, independent of the client side.
 *
 * @param mode        off (plain FTP: TLS offload), explicit (AUTH TLS) or implicit (TLS from the first byte)
 * @param ca          PEM CA bundle the backend's certificate must chain to (default: the JDK's trust store)
 * @param fingerprint SHA-256 fingerprint (hex) the backend's certificate must have, instead of a CA
 * @param insecure    accept any backend certificate (logged loudly at start)
 */
public record BackendTlsConfig(Mode mode, @FileAccess(FileAccess.Kind.READ) Optional<Path> ca,
                               @JsonDeserialize(using = ConfigModule.Fingerprint.class) Optional<String> fingerprint, boolean insecure) {

    public static final BackendTlsConfig OFF = new BackendTlsConfig(Mode.OFF, Optional.empty(), Optional.empty(), false);

    public boolean enabled() {
        return mode != Mode.OFF;
    }

    /** How the proxy speaks TLS to the backend. */
    public enum Mode { OFF, EXPLICIT, IMPLICIT }
}
