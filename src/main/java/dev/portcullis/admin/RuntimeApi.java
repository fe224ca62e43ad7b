package dev.portcullis.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import dev.portcullis.backend.BackendMember;
import dev.portcullis.backend.BackendPool;
import dev.portcullis.control.ControlSession;
import dev.portcullis.control.SessionRegistry;
import dev.portcullis.control.SessionView;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime API on the admin listener, in the manner of HAProxy's runtime API and ProFTPD's
 * ftpwho: {@code GET /sessions}, {@code POST /sessions/{id}/close}, {@code GET /backends},
 * {@code POST /backends/{host:port}/state?state=ready|drain|maint}. JSON out; every refusal is a 4xx
 * with a JSON {@code error} saying why. With admin.token set every call needs
 * {@code Authorization: Bearer TOKEN}; without one only loopback clients are answered.
 */
final class RuntimeApi {

    private static final Logger log = LoggerFactory.getLogger("portcullis.admin");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SessionRegistry sessions;
    private final BackendPool backends;
    private final Supplier<Optional<String>> token;

    RuntimeApi(SessionRegistry sessions, BackendPool backends, Supplier<Optional<String>> token) {
        this.sessions = sessions;
        this.backends = backends;
        this.token = token;
    }

    void sessions(HttpExchange ex) throws IOException {
        if (!allowed(ex)) {
            return;
        }
        String[] parts = ex.getRequestURI().getPath().split("/"); // "", "sessions", id, "close"
        if (parts.length == 2 && ex.getRequestMethod().equals("GET")) {
            List<SessionView> views = new ArrayList<>();
            for (ControlSession s : sessions.sessions()) {
                try {
                    views.add(s.view().get(2, TimeUnit.SECONDS));
                } catch (Exception gone) {
                    // the session ended while it was asked
                }
            }
            views.sort(java.util.Comparator.comparing(SessionView::since).thenComparing(SessionView::id));
            json(ex, 200, Map.of("sessions", views));
        } else if (parts.length == 4 && parts[3].equals("close") && ex.getRequestMethod().equals("POST")) {
            Optional<ControlSession> s = sessions.find(parts[2]);
            if (s.isEmpty()) {
                error(ex, 404, "no session " + parts[2]);
                return;
            }
            log.info("admin: closing session {} at the operator's request", parts[2]);
            s.get().closeByAdmin("the session was closed by the administrator");
            json(ex, 200, Map.of("closed", parts[2]));
        } else {
            error(ex, parts.length == 4 ? 405 : 404, "use GET /sessions or POST /sessions/{id}/close");
        }
    }

    void backends(HttpExchange ex) throws IOException {
        if (!allowed(ex)) {
            return;
        }
        String[] parts = ex.getRequestURI().getPath().split("/"); // "", "backends", host:port, "state"
        if (parts.length == 2 && ex.getRequestMethod().equals("GET")) {
            List<Map<String, Object>> out = new ArrayList<>();
            for (BackendMember m : backends.members()) {
                Map<String, Object> b = new LinkedHashMap<>();
                b.put("address", m.address().toString());
                b.put("state", m.adminState().name().toLowerCase(Locale.ROOT));
                b.put("up", m.up());
                b.put("sessions", m.sessions());
                b.put("last_check", m.lastResult());
                out.add(b);
            }
            json(ex, 200, Map.of("backends", out));
        } else if (parts.length == 4 && parts[3].equals("state") && ex.getRequestMethod().equals("POST")) {
            Optional<BackendMember> m = backends.members().stream().filter(b -> b.address().toString().equals(parts[2])).findFirst();
            if (m.isEmpty()) {
                error(ex, 404, "no backend " + parts[2] + "; the pool is " + backends.members());
                return;
            }
            String query = ex.getRequestURI().getQuery();
            String wanted = query != null && query.startsWith("state=") ? query.substring("state=".length()) : "";
            BackendMember.AdminState state;
            try {
                state = BackendMember.AdminState.valueOf(wanted.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                error(ex, 400, "expected ?state=ready, drain or maint, got '" + wanted + "'");
                return;
            }
            m.get().adminState(state);
            int closed = state == BackendMember.AdminState.MAINT ? closeSessionsOn(m.get()) : 0;
            log.info("admin: backend {} is now {}{}", m.get(), wanted, closed > 0 ? "; " + closed + " session(s) closed" : "");
            json(ex, 200, Map.of("address", m.get().address().toString(), "state", wanted, "closed_sessions", closed));
        } else {
            error(ex, parts.length == 4 ? 405 : 404, "use GET /backends or POST /backends/{host:port}/state?state=ready|drain|maint");
        }
    }

    /** Maintenance: every session on the member gets 421 now. */
    private int closeSessionsOn(BackendMember m) {
        int n = 0;
        for (ControlSession s : sessions.sessions()) {
            try {
                if (s.usesBackend(m).get(2, TimeUnit.SECONDS)) {
                    s.closeByAdmin("the FTP server is going into maintenance");
                    n++;
                }
            } catch (Exception gone) {
                // ended meanwhile
            }
        }
        return n;
    }

    /** The token when one is configured (compared in constant time), else loopback clients only. */
    private boolean allowed(HttpExchange ex) throws IOException {
        Optional<String> expected = token.get();
        if (expected.isPresent()) {
            String auth = String.valueOf(ex.getRequestHeaders().getFirst("Authorization"));
            boolean ok = auth.startsWith("Bearer ") && MessageDigest.isEqual(
                    auth.substring("Bearer ".length()).getBytes(StandardCharsets.UTF_8), expected.get().getBytes(StandardCharsets.UTF_8));
            if (!ok) {
                error(ex, 401, "this API needs Authorization: Bearer <admin.token>");
            }
            return ok;
        }
        InetAddress peer = ex.getRemoteAddress().getAddress();
        if (!peer.isLoopbackAddress()) {
            error(ex, 403, "without admin.token this API answers loopback clients only");
            return false;
        }
        return true;
    }

    private static void error(HttpExchange ex, int status, String why) throws IOException {
        json(ex, status, Map.of("error", why));
    }

    private static void json(HttpExchange ex, int status, Object body) throws IOException {
        AdminServer.respond(ex, status, "application/json", JSON.writerWithDefaultPrettyPrinter().writeValueAsString(body) + "\n");
    }
}
