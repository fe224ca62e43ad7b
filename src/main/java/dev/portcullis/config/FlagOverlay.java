package dev.portcullis.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.RecordComponent;
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
        for (RecordComponent c : CliOverrides.class.getRecordComponents()) {
            CliOverrides.Flag flag = c.getAnnotation(CliOverrides.Flag.class);
            Object value;
            try {
                value = c.getAccessor().invoke(cli);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            o.set(flag.key(), flag.name(), value);
        }
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

    /**
     * A flag given: its value goes under its key. A whole number goes as a number (a number key
     * accepts no text, a text key takes a number's text); a switch only when on.
     */
    private void set(String key, String flag, Object value) {
        if (value == null || value.equals(Boolean.FALSE) || value instanceof List<?> l && l.isEmpty()) {
            return;
        }
        if (value instanceof List<?> values) {
            ArrayNode a = parent(key).putArray(leaf(key));
            values.forEach(v -> a.add(v.toString()));
        } else if (value instanceof Boolean on) {
            parent(key).put(leaf(key), on);
        } else {
            String text = value.toString();
            try {
                parent(key).put(leaf(key), Long.parseLong(text.strip()));
            } catch (NumberFormatException e) {
                parent(key).put(leaf(key), text);
            }
        }
        flagOfKey.put(key, flag);
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
