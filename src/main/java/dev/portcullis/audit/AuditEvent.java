package dev.portcullis.audit;

import java.time.Instant;
import java.util.Map;

/**
 * One session event for the JSON-lines log.
 *
 * @param type    connect, login, login_failed, blocked, close
 * @param fields  event-specific fields (user, reason, outcome, ...): never a password
 */
public record AuditEvent(Instant time, String type, String session, String client, Map<String, Object> fields) {

    public AuditEvent {
        fields = Map.copyOf(fields);
    }
}
