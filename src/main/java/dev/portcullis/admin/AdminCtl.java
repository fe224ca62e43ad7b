package dev.portcullis.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code portcullis ctl}: the runtime API for humans, a table a line per session or backend (as
 * ftpwho and HAProxy's {@code show servers state} print them). Exit 0 on success, 1 when the API
 * refused (its reason printed), 2 when the admin listener cannot be reached.
 */
@Command(name = "ctl", description = "Talk to a running Portcullis over its admin listener (the runtime API).",
        mixinStandardHelpOptions = true, subcommands = {AdminCtl.Sessions.class, AdminCtl.Close.class, AdminCtl.Backends.class,
                AdminCtl.State.class})
public final class AdminCtl {

    @Option(names = "--admin", paramLabel = "HOST:PORT", description = "The admin listener. Default: 127.0.0.1:9121.")
    String admin = dev.portcullis.config.AdminConfig.DEFAULT_LISTEN;

    @Option(names = "--token", paramLabel = "TOKEN", description = "admin.token, if one is set. Default: $PORTCULLIS_ADMIN_TOKEN.")
    String token = System.getenv("PORTCULLIS_ADMIN_TOKEN");

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The exit status of a refused call: 1 when the API said no, 2 when it could not be reached. */
    int exit;

    /** Calls the API; prints the reason and returns null when it refuses or cannot be reached. */
    JsonNode call(String method, String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + admin + path)).timeout(Duration.ofSeconds(10));
        if (token != null && !token.isEmpty()) {
            b.header("Authorization", "Bearer " + token);
        }
        b.method(method, HttpRequest.BodyPublishers.noBody());
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode body = JSON.readTree(r.body());
            if (r.statusCode() >= 300) {
                System.err.println("portcullis ctl: " + r.statusCode() + ": " + body.path("error").asText(r.body().strip()));
                exit = 1;
                return null;
            }
            return body;
        } catch (java.io.IOException e) {
            System.err.println("portcullis ctl: cannot reach the admin listener at " + admin + ": " + e);
            exit = 2;
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exit = 2;
            return null;
        }
    }

    /** One call, its answer printed by {@code print}: the subcommand's exit status. */
    int show(String method, String path, java.util.function.Consumer<JsonNode> print) {
        JsonNode r = call(method, path);
        if (r == null) {
            return exit;
        }
        print.accept(r);
        return 0;
    }

    @Command(name = "sessions", description = "The sessions now: id, client, user, backend, since, transfer, TLS.")
    static final class Sessions implements Callable<Integer> {
        @ParentCommand
        AdminCtl ctl;

        @Override
        public Integer call() {
            return ctl.show("GET", "/sessions", r -> {
                System.out.printf("%-8s %-24s %-16s %-22s %-26s %-4s %s%n", "ID", "CLIENT", "USER", "BACKEND", "SINCE", "TLS", "TRANSFER");
                for (JsonNode s : r.path("sessions")) {
                    JsonNode t = s.path("transfer");
                    String transfer = t.isMissingNode() || t.isNull() ? "-"
                            : t.path("command").asText() + " " + t.path("path").asText() + " " + t.path("bytes").asLong() + " bytes, "
                            + t.path("millis").asLong() + " ms";
                    System.out.printf("%-8s %-24s %-16s %-22s %-26s %-4s %s%n", s.path("id").asText(), s.path("client").asText(),
                            s.path("user").isNull() ? "-" : s.path("user").asText(), s.path("backend").isNull() ? "-" : s.path("backend").asText(),
                            s.path("since").asText(), s.path("tls").asBoolean() ? "yes" : "no", transfer);
                }
            });
        }
    }

    @Command(name = "close", description = "Close a session now (its client gets 421).")
    static final class Close implements Callable<Integer> {
        @ParentCommand
        AdminCtl ctl;

        @Parameters(paramLabel = "ID", description = "The session id (as in the log and in 'ctl sessions').")
        String id;

        @Override
        public Integer call() {
            return ctl.show("POST", "/sessions/" + id + "/close", r -> System.out.println("closed " + r.path("closed").asText()));
        }
    }

    @Command(name = "backends", description = "The backends: address, state (ready, drain, maint), health, sessions, last check.")
    static final class Backends implements Callable<Integer> {
        @ParentCommand
        AdminCtl ctl;

        @Override
        public Integer call() {
            return ctl.show("GET", "/backends", r -> {
                System.out.printf("%-24s %-6s %-5s %-8s %s%n", "ADDRESS", "STATE", "UP", "SESSIONS", "LAST CHECK");
                for (JsonNode b : r.path("backends")) {
                    System.out.printf("%-24s %-6s %-5s %-8d %s%n", b.path("address").asText(), b.path("state").asText(),
                            b.path("up").asBoolean() ? "yes" : "no", b.path("sessions").asInt(), b.path("last_check").asText());
                }
            });
        }
    }

    @Command(name = "state", description = "Set a backend's state: ready; drain (no new sessions, running ones finish); maint (and close them).")
    static final class State implements Callable<Integer> {
        @ParentCommand
        AdminCtl ctl;

        @Parameters(index = "0", paramLabel = "HOST:PORT", description = "The backend, as 'ctl backends' lists it.")
        String backend;

        @Parameters(index = "1", paramLabel = "ready|drain|maint")
        String state;

        @Override
        public Integer call() {
            return ctl.show("POST", "/backends/" + backend + "/state?state=" + state, r -> System.out.println(r.path("address").asText()
                    + " is now " + r.path("state").asText()
                    + (r.path("closed_sessions").asInt() > 0 ? "; " + r.path("closed_sessions").asInt() + " session(s) closed" : "")));
        }
    }
}
