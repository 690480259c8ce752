package io.tandem.api.text;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.Map;

/**
 * Writes maps, collections, strings, numbers, booleans, enums and {@code null} as indented JSON, with
 * Jackson's generator (escaping and layout). Maps keep their iteration order (use
 * {@link java.util.LinkedHashMap} for a stable field order); a number that is not finite is written as
 * {@code null}; any other value as the JSON string of its {@code toString()}. Jackson's types stay inside.
 */
public final class Json {

    private static final JsonFactory FACTORY = JsonFactory.builder().build();

    /** {@code "key": value}, two spaces per level, one element per line, {@code {}} and {@code []} when empty. */
    private static final DefaultPrettyPrinter LAYOUT;

    static {
        DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
        LAYOUT = new DefaultPrettyPrinter(Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                .withObjectEmptySeparator("")
                .withArrayEmptySeparator(""));
        LAYOUT.indentObjectsWith(indenter);
        LAYOUT.indentArraysWith(indenter);
    }

    private Json() {
    }

    public static String write(Object value) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.setPrettyPrinter(LAYOUT.createInstance());
            write(g, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }

    private static void write(JsonGenerator g, Object value) throws IOException {
        if (value == null) {
            g.writeNull();
        } else if (value instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            g.writeNumber(((Number) value).longValue());
        } else if (value instanceof Number n) {
            if (!Double.isFinite(n.doubleValue())) {
                g.writeNull();
            } else if (n instanceof BigDecimal d) {
                g.writeNumber(d);
            } else if (n instanceof BigInteger i) {
                g.writeNumber(i);
            } else if (n instanceof Float f) {
                g.writeNumber(f);
            } else if (n instanceof Double d) {
                g.writeNumber(d);
            } else {
                g.writeNumber(n.toString());
            }
        } else if (value instanceof Map<?, ?> map) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                write(g, e.getValue());
            }
            g.writeEndObject();
        } else if (value instanceof Collection<?> list) {
            g.writeStartArray();
            for (Object element : list) {
                write(g, element);
            }
            g.writeEndArray();
        } else {
            g.writeString(value.toString());
        }
    }

    /** Appends a JSON string literal. */
    public static void quote(StringBuilder out, String s) {
        out.append('"');
        JsonStringEncoder.getInstance().quoteAsString(s, out);
        out.append('"');
    }
}
