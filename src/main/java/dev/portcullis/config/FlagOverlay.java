package dev.portcullis.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The command line's flags as a layer of config keys over the file: each flag given replaces its
 * key ({@code --tls-cert} is {@code tls.cert}), and is read by the same binding, so a flag's value
 * is checked exactly as the key's. An error in a value that came from a flag names the flag.
 */
final class FlagOverlay {

    private final ObjectNode tree = JsonNodeFactory.instance.objectNode();
    private final Map<String, String> flagOfKey = new LinkedHashMap<>();

    private FlagOverlay() {
    }

    static FlagOverlay of(CliOverrides cli) {
        FlagOverlay o = new FlagOverlay();
        o.list("listen", "--listen", cli.listen());
        o.list("backend", "--backend", cli.backends());
        o.text("balance", "--balance", cli.balance());
        o.text("passive-ports", "--passive-ports", cli.passivePorts());
        o.text("public-address", "--public-address", cli.publicAddress());
        o.text("tls.cert", "--tls-cert", cli.tlsCert());
        o.text("tls.key", "--tls-key", cli.tlsKey());
        o.list("tls.implicit-listen", "--implicit-tls-listen", cli.implicitTlsListen());
        o.text("tls.policy", "--tls-policy", cli.tlsPolicy());
        o.text("tls.data-protection", "--data-protection", cli.dataProtection());
        o.text("backend-tls.mode", "--backend-tls", cli.backendTls());
        o.text("backend-tls.ca", "--backend-ca", cli.backendCa());
        o.text("admin.listen", "--admin-listen", cli.adminListen());
        if (cli.proxyProtocol()) {
            o.parent("proxy-protocol.accept").put("accept", true);
            o.flagOfKey.put("proxy-protocol.accept", "--proxy-protocol");
        }
        o.number("limits.max-sessions-per-ip", "--max-sessions-per-ip", cli.maxSessionsPerIp());
        o.number("policy.ban-after-failures", "--ban-after", cli.banAfter());
        o.text("policy.ban-time", "--ban-time", cli.banTime());
        return o;
    }

    ObjectNode tree() {
        return tree;
    }

    /** The flag that set {@code key} (dotted; a list item's key is its list's), if one did. */
    Optional<String> flagFor(String key) {
        for (Map.Entry<String, String> e : flagOfKey.entrySet()) {
            if (key.equals(e.getKey()) || key.startsWith(e.getKey() + ".")) {
                return Optional.of(e.getValue());
            }
        }
        return Optional.empty();
    }

    boolean sets(String key) {
        return flagOfKey.containsKey(key);
    }

    private void text(String key, String flag, String value) {
        if (value != null) {
            parent(key).put(leaf(key), value);
            flagOfKey.put(key, flag);
        }
    }

    /** A whole number as a number (the key accepts no text); anything else as the text, to be refused by the key's rule. */
    private void number(String key, String flag, String value) {
        if (value != null) {
            try {
                parent(key).put(leaf(key), Long.parseLong(value.strip()));
            } catch (NumberFormatException e) {
                parent(key).put(leaf(key), value);
            }
            flagOfKey.put(key, flag);
        }
    }

    private void list(String key, String flag, List<String> values) {
        if (!values.isEmpty()) {
            ArrayNode a = parent(key).putArray(leaf(key));
            values.forEach(a::add);
            flagOfKey.put(key, flag);
        }
    }

    private ObjectNode parent(String key) {
        ObjectNode n = tree;
        String[] parts = key.split("\\.");
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child = n.get(parts[i]);
            n = child instanceof ObjectNode o ? o : n.putObject(parts[i]);
        }
        return n;
    }

    private static String leaf(String key) {
        return key.substring(key.lastIndexOf('.') + 1);
    }
}
