package io.tandem.mailstore.internal.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The strict reading of the small JSON request bodies of the mailbox API, on Jackson's streaming parser: a
 * JSON array of strings ({@link #strings}) and flat objects ({@link #object}). RFC 8259 syntax only (no
 * comments, no trailing commas, no single quotes, one value and nothing after it); numbers must be integers
 * that fit a {@code long}; duplicate object keys are refused; containers nest at most {@value #MAX_DEPTH}
 * deep (the body itself is at most {@link MailboxApi#MAX_JSON_BYTES}). Every error is an
 * {@link IllegalArgumentException} naming the offending value and its offset.
 */
final class JsonBody {

    static final int MAX_DEPTH = 8;

    /**
     * RFC 8259 only (Jackson's defaults: no comments, single quotes, trailing commas, leading zeros, NaN or
     * unescaped control characters), one value per body, a duplicate field refused, containers nested at most
     * {@value #MAX_DEPTH} deep.
     */
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
            .build();

    private JsonBody() {
    }

    /**
     * Parses one JSON value: {@code Map<String, Object>} (insertion order), {@code List<Object>}, {@code String},
     * {@code Long}, {@code Boolean} or {@code null}.
     */
    static Object parse(String text) {
        if (text.isBlank()) {
            throw new IllegalArgumentException("the request body is empty: expected JSON");
        }
        try (JsonParser p = FACTORY.createParser(text)) {
            p.nextToken();
            Object value = value(p);
            JsonToken after = p.nextToken();
            if (after != null) {
                throw error(p, "unexpected '" + p.getText() + "' after the JSON value");
            }
            return value;
        } catch (StreamConstraintsException e) {
            String what = e.getOriginalMessage().contains("nesting depth")
                    ? "containers nested deeper than " + MAX_DEPTH : reason(e.getOriginalMessage());
            throw new IllegalArgumentException("bad JSON: " + what, e);
        } catch (JsonProcessingException e) {
            // Jackson's own words (what it expected, what it found), and where
            throw new IllegalArgumentException("bad JSON" + at(e.getLocation()) + ": " + reason(e.getOriginalMessage()), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // reading a String does not fail
        }
    }

    /** A JSON array of strings, as a set (duplicates collapse, order kept). */
    static Set<String> strings(String text) {
        Object value = parse(text);
        if (!(value instanceof List<?> list)) {
            throw new IllegalArgumentException("expected a JSON array of strings, got " + describe(value));
        }
        Set<String> out = new LinkedHashSet<>();
        for (Object o : list) {
            if (!(o instanceof String s)) {
                throw new IllegalArgumentException("expected a JSON array of strings, got element " + describe(o));
            }
            out.add(s);
        }
        return Collections.unmodifiableSet(out);
    }

    /** A JSON object whose keys are all among {@code allowed}. */
    static Map<String, Object> object(String text, Set<String> allowed) {
        Object value = parse(text);
        if (!(value instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("expected a JSON object with " + allowed + ", got " + describe(value));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> fields = (Map<String, Object>) map;
        for (String key : fields.keySet()) {
            if (!allowed.contains(key)) {
                throw new IllegalArgumentException("unknown field '" + key + "' (expected " + allowed + ")");
            }
        }
        return fields;
    }

    /** A short description of a parsed value for error messages. */
    static String describe(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof String s) {
            return "string \"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\"";
        }
        if (value instanceof Map) {
            return "an object";
        }
        if (value instanceof List) {
            return "an array";
        }
        return value.getClass() == Long.class ? "number " + value : "boolean " + value;
    }

    private static Object value(JsonParser p) throws IOException {
        JsonToken token = p.currentToken();
        if (token == null) {
            throw error(p, "unexpected end of the JSON body");
        }
        switch (token) {
            case START_OBJECT -> {
                Map<String, Object> out = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName(); // a second one is refused by STRICT_DUPLICATE_DETECTION
                    p.nextToken();
                    out.put(key, value(p));
                }
                return out;
            }
            case START_ARRAY -> {
                List<Object> out = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    out.add(value(p));
                }
                return out;
            }
            case VALUE_STRING -> {
                return p.getText();
            }
            case VALUE_NUMBER_INT -> {
                if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                    throw error(p, "number '" + p.getText() + "' is out of range");
                }
                return p.getLongValue();
            }
            case VALUE_NUMBER_FLOAT -> throw error(p, "number '" + p.getText() + "' is not an integer");
            case VALUE_TRUE -> {
                return Boolean.TRUE;
            }
            case VALUE_FALSE -> {
                return Boolean.FALSE;
            }
            case VALUE_NULL -> {
                return null;
            }
            default -> throw error(p, "unexpected '" + p.getText() + "'");
        }
    }

    /**
     * Jackson's reason without what names its internals: where a container started (its source description),
     * the name of a limit's setting, the feature that would allow what was refused.
     */
    static String reason(String message) {
        String r = message;
        int source = r.indexOf("[Source:"); // "(start marker at [Source: ...", "(for Array starting at [Source: ..."
        if (source >= 0) {
            int open = r.lastIndexOf(" (", source);
            r = r.substring(0, open >= 0 ? open : source);
        }
        r = r.replaceAll(", from `[^`]*`\\)", ")");
        r = r.replaceAll("[:;,]?\\s*\\(?(or )?enable `[^`]*`( to allow)?\\)?", "");
        int line = r.indexOf('\n');
        return (line >= 0 ? r.substring(0, line) : r).trim();
    }

    private static String at(JsonLocation location) {
        return location == null || location.getCharOffset() < 0 ? "" : " at offset " + location.getCharOffset();
    }

    private static JsonParseException error(JsonParser p, String message) {
        return new JsonParseException(p, message, p.currentTokenLocation());
    }
}
