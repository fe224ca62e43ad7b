package dev.portcullis.audit;

/**
 * The audit trail: who connected, who logged in (never a password), what was transferred, what was
 * refused, and how each session ended. Each method gets a record so that writers stay formats only.
 */
public interface AuditLog {

    void event(AuditEvent event);

    void transfer(TransferRecord transfer);

    /**
     * False when nothing is written (no audit file configured): callers then skip building the
     * record, its timestamp and the client's address text, a few times in every session.
     */
    default boolean enabled() {
        return true;
    }

    AuditLog NONE = new AuditLog() {
        @Override
        public boolean enabled() {
            return false;
        }

        @Override
        public void event(AuditEvent event) {
        }

        @Override
        public void transfer(TransferRecord transfer) {
        }
    };
}
