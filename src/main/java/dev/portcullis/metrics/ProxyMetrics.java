package dev.portcullis.metrics;

/**
 * What the proxy reports, as a small interface so that the relay and session code do not depend
 * on a metrics library. Every argument is one of a small fixed set of values.
 */
public interface ProxyMetrics {

    /** Why something was refused. */
    enum Blocked { BOUNCE, THEFT, POLICY, LIMIT, UNTRUSTED_PROXY_HEADER }

    /** Which TLS connection a handshake was for. */
    enum TlsSide { CLIENT_CONTROL, CLIENT_DATA, BACKEND_CONTROL, BACKEND_DATA }

    /** What a data connection carried. */
    enum Direction { UPLOAD, DOWNLOAD, LISTING }

    void sessionOpened();

    void sessionClosed(String outcome);

    void transfer(Direction direction, String mode, boolean ok, long bytesClientToBackend, long bytesBackendToClient);

    void rewrite(String kind);

    void blocked(Blocked reason);

    void protocolViolation();

    void tlsHandshake(TlsSide side, boolean ok);

    void backendConnect(long nanos, boolean ok);

    void addedLatency(long nanos);

    /** Discards everything: for embedding without metrics. */
    ProxyMetrics NONE = new ProxyMetrics() {
        @Override
        public void sessionOpened() {
        }

        @Override
        public void sessionClosed(String outcome) {
        }

        @Override
        public void transfer(Direction direction, String mode, boolean ok, long up, long down) {
        }

        @Override
        public void rewrite(String kind) {
        }

        @Override
        public void blocked(Blocked reason) {
        }

        @Override
        public void protocolViolation() {
        }

        @Override
        public void tlsHandshake(TlsSide side, boolean ok) {
        }

        @Override
        public void backendConnect(long nanos, boolean ok) {
        }

        @Override
        public void addedLatency(long nanos) {
        }
    };
}
