package dev.portcullis.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.BeanProperty;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.deser.ContextualDeserializer;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.module.SimpleDeserializers;
import com.fasterxml.jackson.databind.module.SimpleModule;
import dev.portcullis.net.Cidr;
import dev.portcullis.net.HostAndPort;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Jackson's view of the config file's values: each value type is read from its text with
 * {@link ConfigValues}, numbers, booleans and strings strictly (YAML's {@code "10"} is no number,
 * {@code yes} no boolean), and limits come from the key's own annotation ({@link Range},
 * {@link Bytes}, {@link Rate}, {@link FileAccess}, {@link Matches}). A refused value is a
 * {@link BadValue}, whose message is only the "expected …" part: {@link ConfigBinder} adds file, key
 * and value.
 */
final class ConfigModule extends SimpleModule {

    /** Types written as one scalar in the file (everything else is a section of keys). */
    private static final Set<Class<?>> VALUE_TYPES = Set.of(Duration.class, InetAddress.class, InetSocketAddress.class, HostAndPort.class,
            Cidr.class, PortRange.class, Pattern.class, Path.class, String.class, Boolean.class, boolean.class, Integer.class,
            int.class, Long.class, long.class);

    ConfigModule() {
        super("portcullis-config");
        SimpleDeserializers d = new SimpleDeserializers() {
            @Override
            public JsonDeserializer<?> findEnumDeserializer(Class<?> type, DeserializationConfig config, BeanDescription beanDesc) {
                return enumDeserializer(type);
            }
        };
        d.addDeserializer(Duration.class, new Text<>(Duration.class, ConfigValues::duration));
        d.addDeserializer(InetAddress.class, new Text<>(InetAddress.class, ConfigValues::ipLiteral));
        d.addDeserializer(InetSocketAddress.class, new Text<>(InetSocketAddress.class, ConfigValues::listenAddress));
        d.addDeserializer(HostAndPort.class, new Text<>(HostAndPort.class, HostAndPort::parse));
        d.addDeserializer(Cidr.class, new Text<>(Cidr.class, Cidr::parse));
        d.addDeserializer(PortRange.class, new Text<>(PortRange.class, PortRange::parse));
        d.addDeserializer(Pattern.class, new Text<>(Pattern.class, ConfigValues::userPattern));
        d.addDeserializer(Path.class, new RuledText<>(Path.class, FileAccess.class, null, ConfigModule::path));
        d.addDeserializer(String.class, new RuledText<>(String.class, Matches.class, null, ConfigModule::string));
        d.addDeserializer(Boolean.class, new BooleanValue());
        d.addDeserializer(boolean.class, new BooleanValue());
        d.addDeserializer(Integer.class, new NumberValue<>(Integer.class, null));
        d.addDeserializer(int.class, new NumberValue<>(Integer.class, null));
        d.addDeserializer(Long.class, new NumberValue<>(Long.class, null));
        d.addDeserializer(long.class, new NumberValue<>(Long.class, null));
        setDeserializers(d);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static JsonDeserializer<?> enumDeserializer(Class<?> type) {
        Class<? extends Enum> e = (Class<? extends Enum>) type;
        return new Text<>(type, v -> ConfigValues.enumOf(e, v));
    }

    /** A refused value; the message says what was expected. */
    static final class BadValue extends JsonMappingException {
        BadValue(JsonParser p, String expected) {
            super(p, expected);
        }
    }

    /** The text of a string or number token (not a boolean, list or mapping). */
    private static String scalarText(JsonParser p, String expected) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_STRING || t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
            return p.getText();
        }
        throw new BadValue(p, expected);
    }

    /** A value read from its text by a parse function of {@link ConfigValues}. */
    static final class Text<T> extends StdDeserializer<T> {
        private final Function<String, T> parse;

        Text(Class<?> type, Function<String, T> parse) {
            super(type);
            this.parse = parse;
        }

        @Override
        public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            String text = scalarText(p, "expected a string");
            try {
                return parse.apply(text);
            } catch (IllegalArgumentException e) {
                throw new BadValue(p, e.getMessage());
            }
        }
    }

    /** A rule-taking parse: the key's annotation (null when it has none) and the text. */
    interface RuledParse<T, A> {
        T parse(A rule, String text);
    }

    /** A value read from its text under its key's rule annotation ({@link Matches}, {@link FileAccess}), if any. */
    static final class RuledText<T, A extends java.lang.annotation.Annotation> extends StdDeserializer<T> implements ContextualDeserializer {
        private final Class<A> ruleType;
        private final A rule;
        private final RuledParse<T, A> parse;

        RuledText(Class<T> type, Class<A> ruleType, A rule, RuledParse<T, A> parse) {
            super(type);
            this.ruleType = ruleType;
            this.rule = rule;
            this.parse = parse;
        }

        @Override
        @SuppressWarnings("unchecked")
        public JsonDeserializer<?> createContextual(DeserializationContext ctxt, BeanProperty property) {
            A a = property == null ? null : property.getAnnotation(ruleType);
            return a == null ? this : new RuledText<>((Class<T>) handledType(), ruleType, a, parse);
        }

        @Override
        public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            String text = scalarText(p, "expected a string");
            try {
                return parse.parse(rule, text);
            } catch (IllegalArgumentException e) {
                throw new BadValue(p, e.getMessage());
            }
        }
    }

    /** A string; with {@link Matches}, one of a pattern (then stripped). */
    static String string(Matches rule, String text) {
        if (rule == null) {
            return text;
        }
        if (!Pattern.compile(rule.regex(), Pattern.CASE_INSENSITIVE).matcher(text.strip()).matches()) {
            throw new IllegalArgumentException(rule.expected());
        }
        return text.strip();
    }

    /** A path; with {@link FileAccess}, one that can be read or written now. */
    static Path path(FileAccess rule, String text) {
        return rule == null ? Path.of(text.strip())
                : rule.value() == FileAccess.Kind.READ ? ConfigValues.readableFile(text) : ConfigValues.writableFile(text);
    }

    static final class BooleanValue extends StdDeserializer<Boolean> {
        BooleanValue() {
            super(Boolean.class);
        }

        @Override
        public Boolean deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonToken t = p.currentToken();
            if (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE) {
                return t == JsonToken.VALUE_TRUE;
            }
            throw new BadValue(p, "expected true or false");
        }
    }

    /**
     * A whole number within the key's {@link Range}, or a size ({@link Bytes}) or rate ({@link Rate})
     * written with its unit.
     */
    static final class NumberValue<N extends Number> extends StdDeserializer<N> implements ContextualDeserializer {
        private final Class<N> type;
        private final java.lang.annotation.Annotation rule;

        NumberValue(Class<N> type, java.lang.annotation.Annotation rule) {
            super(type);
            this.type = type;
            this.rule = rule;
        }

        @Override
        public JsonDeserializer<?> createContextual(DeserializationContext ctxt, BeanProperty property) {
            if (property == null) {
                return this;
            }
            java.lang.annotation.Annotation a = property.getAnnotation(Range.class);
            a = a != null ? a : property.getAnnotation(Bytes.class);
            a = a != null ? a : property.getAnnotation(Rate.class);
            return a == null ? this : new NumberValue<>(type, a);
        }

        @Override
        public N deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            long max = type == Integer.class ? Integer.MAX_VALUE : Long.MAX_VALUE;
            long min = type == Integer.class ? Integer.MIN_VALUE : Long.MIN_VALUE;
            long value;
            if (rule instanceof Bytes b) {
                try {
                    value = ConfigValues.byteCount(scalarText(p, "expected a size such as 1MiB, 512KiB or a number of bytes"), 0, b.max());
                } catch (IllegalArgumentException e) {
                    throw new BadValue(p, e.getMessage());
                }
            } else if (rule instanceof Rate) {
                try {
                    value = ConfigValues.rate(scalarText(p, "expected a rate such as 10MiB/s"));
                } catch (IllegalArgumentException e) {
                    throw new BadValue(p, e.getMessage());
                }
            } else {
                if (rule instanceof Range r) {
                    min = r.min();
                    max = r.max();
                }
                if (p.currentToken() != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                        || p.getLongValue() < min || p.getLongValue() > max) {
                    throw new BadValue(p, "expected a whole number from " + min + " to " + max);
                }
                value = p.getLongValue();
            }
            Number n = type == Integer.class ? (Number) Integer.valueOf((int) value) : (Number) Long.valueOf(value);
            return type.cast(n);
        }
    }

    /** admin.listen: an address (":0" for any free port) or {@code off}. */
    static final class AdminListen extends StdDeserializer<Optional<InetSocketAddress>> {
        AdminListen() {
            super(Optional.class);
        }

        @Override
        public Optional<InetSocketAddress> deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            String text = scalarText(p, "expected ADDR:PORT or off");
            try {
                return text.strip().equals("off") ? Optional.empty() : Optional.of(ConfigValues.listenAddressOrEphemeral(text));
            } catch (IllegalArgumentException e) {
                throw new BadValue(p, e.getMessage());
            }
        }

        @Override
        public Optional<InetSocketAddress> getNullValue(DeserializationContext ctxt) {
            return Optional.empty();
        }
    }

    /** backend-tls.fingerprint, kept as 64 lower-case hex digits. */
    static final class Fingerprint extends StdDeserializer<Optional<String>> {
        Fingerprint() {
            super(Optional.class);
        }

        @Override
        public Optional<String> deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            try {
                return Optional.of(ConfigValues.fingerprint(scalarText(p, "expected a string")));
            } catch (IllegalArgumentException e) {
                throw new BadValue(p, e.getMessage());
            }
        }

        @Override
        public Optional<String> getNullValue(DeserializationContext ctxt) {
            return Optional.empty();
        }
    }

    static boolean isValueType(JavaType t) {
        return VALUE_TYPES.contains(t.getRawClass()) || t.isEnumType();
    }
}
