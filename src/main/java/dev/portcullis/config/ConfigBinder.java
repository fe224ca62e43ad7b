package dev.portcullis.config;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Binds the config file to {@link ProxyConfig} with Jackson: the file's keys are laid over
 * {@code defaults.yaml} (every key with its default), the flags over the file
 * ({@link FlagOverlay}), and the merged tree is read into the records, whose components are the
 * keys (kebab-case) and whose annotations are the keys' rules. Unknown keys are refused. Any
 * binding error becomes a {@link ConfigException} naming the file (or the flag), the key, the value
 * and what was expected. Rules that span keys are {@link ConfigValidator}'s.
 */
final class ConfigBinder {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new Jdk8Module())
            .registerModule(new ConfigModule())
            .setPropertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .setVisibility(PropertyAccessor.ALL, JsonAutoDetect.Visibility.NONE)
            .setVisibility(PropertyAccessor.CREATOR, JsonAutoDetect.Visibility.ANY)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final JsonNode DEFAULTS = readDefaults();

    private ConfigBinder() {
    }

    /** The file (if any) and the flags, bound; cross-key rules are not checked here. */
    static ProxyConfig bind(Path file, String source, FlagOverlay flags) throws ConfigException {
        JsonNode fileTree = file == null ? MissingNode.getInstance() : readFile(file);
        refuseEmptyLists(source, "", fileTree);
        ObjectNode merged = DEFAULTS.deepCopy();
        merge(merged, fileTree);
        merge(merged, flags.tree());
        try {
            return MAPPER.readerFor(ProxyConfig.class).readValue(merged);
        } catch (JsonMappingException e) {
            throw describe(e, merged, source, flags);
        } catch (IOException e) {
            throw new ConfigException(source + ": " + e.getMessage());
        }
    }

    /** Every key the file accepts, dotted, as the records declare them ({@code tls.listeners[].policy} for list items). */
    static SortedSet<String> knownKeys() {
        SortedSet<String> keys = new TreeSet<>();
        collectKeys(MAPPER.constructType(ProxyConfig.class), "", keys);
        return keys;
    }

    private static void collectKeys(JavaType type, String prefix, SortedSet<String> out) {
        for (BeanPropertyDefinition p : properties(type)) {
            String name = p.getName();
            JavaType t = p.getPrimaryType();
            JavaType item = t.isCollectionLikeType() ? t.getContentType() : t.isReferenceType() ? t.getReferencedType() : t;
            if (isSection(item)) {
                collectKeys(item, prefix + name + (t.isCollectionLikeType() ? "[]." : "."), out);
            } else {
                out.add(prefix + name);
            }
        }
    }

    private static List<BeanPropertyDefinition> properties(JavaType type) {
        BeanDescription d = MAPPER.getDeserializationConfig().introspect(type);
        return d.findProperties();
    }

    private static SortedSet<String> keysOf(JavaType type) {
        SortedSet<String> names = new TreeSet<>();
        properties(type).forEach(p -> names.add(p.getName()));
        return names;
    }

    private static boolean isSection(JavaType t) {
        return t.getRawClass().isRecord() && !ConfigModule.isValueType(t);
    }

    private static ConfigException describe(JsonMappingException e, JsonNode tree, String source, FlagOverlay flags) {
        StringBuilder key = new StringBuilder();
        JsonNode node = tree;
        List<JsonMappingException.Reference> path = e.getPath();
        for (int i = 0; i < path.size(); i++) {
            JsonMappingException.Reference r = path.get(i);
            boolean index = r.getFieldName() == null && r.getIndex() >= 0;
            node = index ? node.path(r.getIndex()) : node.path(r.getFieldName());
            // An item of a list of values is reported as its list ("backend: 'nope'"), an item of a
            // list of mappings by its number ("user-routes.0.user").
            if (index && i == path.size() - 1 && !node.isContainerNode()) {
                break;
            }
            key.append(key.length() == 0 ? "" : ".").append(index ? Integer.toString(r.getIndex()) : r.getFieldName());
        }
        String value = e instanceof UnrecognizedPropertyException || !node.isValueNode() ? node.toString() : node.asText();
        String expected;
        if (e instanceof ConfigModule.BadValue) {
            expected = e.getOriginalMessage();
        } else if (e instanceof UnrecognizedPropertyException u) {
            SortedSet<String> known = new TreeSet<>();
            u.getKnownPropertyIds().forEach(k -> known.add(k.toString()));
            expected = "unknown key; known keys here: " + known;
        } else if (e instanceof MismatchedInputException m && m.getTargetType() != null
                && isSection(MAPPER.constructType(m.getTargetType()))) {
            expected = "expected a mapping with keys " + keysOf(MAPPER.constructType(m.getTargetType()));
        } else if (e instanceof MismatchedInputException m && m.getTargetType() != null && List.class.isAssignableFrom(m.getTargetType())) {
            expected = "expected a string or a non-empty list of strings";
        } else {
            expected = e.getOriginalMessage();
        }
        String where = flags.flagFor(key.toString()).orElse(source + ": " + key);
        return new ConfigException(where + ": '" + value + "' (" + expected + ")");
    }

    /** An empty list is no value of any key (leave the key out for its default). */
    private static void refuseEmptyLists(String source, String at, JsonNode n) throws ConfigException {
        if (n.isArray() && n.isEmpty()) {
            throw new ConfigException(source + ": " + at + ": '[]' (expected a string or a non-empty list of strings)");
        }
        if (n.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                refuseEmptyLists(source, at.isEmpty() ? f.getKey() : at + "." + f.getKey(), f.getValue());
            }
        }
    }

    /** {@code over}'s keys replace {@code base}'s; mappings merge key by key, a null is "not set". */
    private static void merge(ObjectNode base, JsonNode over) {
        if (!over.isObject()) {
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = over.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            JsonNode mine = base.get(f.getKey());
            JsonNode theirs = f.getValue();
            if (theirs.isNull()) {
                continue;
            }
            if (mine instanceof ObjectNode m && theirs.isObject()) {
                merge(m, theirs);
            } else {
                base.set(f.getKey(), theirs);
            }
        }
    }

    private static JsonNode readFile(Path file) throws ConfigException {
        if (!Files.isReadable(file)) {
            throw new ConfigException(file + ": cannot read the config file");
        }
        try {
            JsonNode node = YAML.readTree(file.toFile());
            if (node == null || node.isMissingNode() || node.isNull()) {
                return MissingNode.getInstance();
            }
            if (!node.isObject()) {
                throw new ConfigException(file + ": expected a mapping of keys at the top level");
            }
            return node;
        } catch (IOException e) {
            throw new ConfigException(file + ": not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static JsonNode readDefaults() {
        try (InputStream in = ConfigBinder.class.getResourceAsStream("defaults.yaml")) {
            return YAML.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("defaults.yaml is part of the jar", e);
        }
    }
}
