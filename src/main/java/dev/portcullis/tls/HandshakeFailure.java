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

    /**
     * Every distinct message down the cause chain, outermost first: for the health check's record,
     * where the certificate check's own wording ("PKIX path building failed") must show.
     */
    public static String chain(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (int depth = 0; t != null && depth < 10; depth++, t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage();
            if (m != null && !m.isBlank() && b.indexOf(m) < 0) {
                b.append(b.length() == 0 ? "" : ": ").append(m);
            }
        }
        return b.toString();
    }
}
