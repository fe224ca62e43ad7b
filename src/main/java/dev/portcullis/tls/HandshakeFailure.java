package dev.portcullis.tls;

/**
 * Says why a TLS handshake failed in words an operator can act on. The engines wrap the reason:
 * BoringSSL's says "General OpenSslEngine problem" and keeps the certificate check's own message
 * ("No subject alternative names matching IP address ...", "PKIX path building failed") as a
 * cause, so the innermost message is added.
 */
public final class HandshakeFailure {

    private HandshakeFailure() {
    }

    public static String describe(Throwable t) {
        String outer = String.valueOf(t.getMessage());
        Throwable root = t;
        for (int depth = 0; root.getCause() != null && root.getCause() != root && depth < 10; depth++) {
            root = root.getCause();
        }
        String inner = root.getMessage();
        if (root == t || inner == null || inner.isBlank() || outer.contains(inner)) {
            return outer;
        }
        return outer + ": " + inner;
    }
}
