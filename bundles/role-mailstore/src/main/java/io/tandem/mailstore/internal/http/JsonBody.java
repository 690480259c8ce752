package io.tandem.mailstore.internal.http;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A minimal, strict JSON reader for the small request bodies of the mailbox API: a JSON array of
 * strings ({@link #strings}) and flat objects ({@link #object}). RFC 8259 syntax only (no comments,
 * no trailing commas, no single quotes, one value and nothing after it); numbers must be integers
 * that fit a {@code long}; duplicate object keys are refused; nesting is at most {@value #MAX_DEPTH}
 * deep. Every error is an {@link IllegalArgumentException} naming the offending value and its offset.
 */
final class JsonBody {

    static final int MAX_DEPTH = 8;

    private final String text;
    private int pos;

    private JsonBody(String text) {
        this.text = text;
    }

    /**
     * Parses one JSON value: {@code Map<String, Object>} (insertion order), {@code List<Object>}, {@code String},
     * {@code Long}, {@code Boolean} or {@code null}.
     */
    static Object parse(String text) {
        JsonBody p = new JsonBody(text);
        p.skipWhitespace();
        if (p.pos == text.length()) {
            throw new IllegalArgumentException("the request body is empty: expected JSON");
        }
        Object value = p.value(0);
        p.skipWhitespace();
        if (p.pos != text.length()) {
            throw p.error("unexpected " + p.near() + " after the JSON value");
        }
        return value;
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

    private Object value(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("JSON nested deeper than " + MAX_DEPTH);
        }
        skipWhitespace();
        if (pos == text.length()) {
            throw error("unexpected end of the JSON body");
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield number();
                }
                throw error("unexpected " + near());
            }
        };
    }

    private Map<String, Object> object(int depth) {
        pos++; // {
        Map<String, Object> out = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return out;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a field name in quotes, got " + near());
            }
            String key = string();
            if (out.containsKey(key)) {
                throw error("duplicate field '" + key + "'");
            }
            skipWhitespace();
            expect(':');
            out.put(key, value(depth + 1));
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == '}') {
                return out;
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or '}', got " + near());
            }
        }
    }

    private List<Object> array(int depth) {
        pos++; // [
        List<Object> out = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return out;
        }
        while (true) {
            out.add(value(depth + 1));
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == ']') {
                return out;
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or ']', got " + near());
            }
        }
    }

    private String string() {
        int start = pos;
        pos++; // opening quote
        StringBuilder out = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                pos = start;
                throw error("unterminated string starting with " + near());
            }
            char c = text.charAt(pos++);
            if (c == '"') {
                return out.toString();
            }
            if (c < 0x20) {
                pos--;
                throw error("control character U+" + String.format("%04X", (int) c) + " inside a string (escape it)");
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (pos >= text.length()) {
                throw error("unterminated escape");
            }
            char e = text.charAt(pos++);
            switch (e) {
                case '"' -> out.append('"');
                case '\\' -> out.append('\\');
                case '/' -> out.append('/');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    if (pos + 4 > text.length()) {
                        throw error("incomplete \\u escape");
                    }
                    String hex = text.substring(pos, pos + 4);
                    try {
                        out.append((char) Integer.parseInt(hex, 16));
                    } catch (NumberFormatException x) {
                        throw error("bad \\u escape '\\u" + hex + "'");
                    }
                    pos += 4;
                }
                default -> {
                    pos -= 2;
                    throw error("bad escape '\\" + e + "'");
                }
            }
        }
    }

    private Long number() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        while (pos < text.length() && "0123456789.eE+-".indexOf(text.charAt(pos)) >= 0) {
            pos++;
        }
        String literal = text.substring(start, pos);
        if (!literal.matches("-?(0|[1-9][0-9]*)")) {
            pos = start;
            throw error("number '" + literal + "' is not an integer");
        }
        try {
            return Long.parseLong(literal);
        } catch (NumberFormatException e) {
            pos = start;
            throw error("number '" + literal + "' is out of range");
        }
    }

    private Object literal(String word, Object value) {
        if (!text.startsWith(word, pos)) {
            throw error("unexpected " + near());
        }
        pos += word.length();
        return value;
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "', got " + near());
        }
        pos++;
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private String near() {
        if (pos >= text.length()) {
            return "end of input";
        }
        int end = Math.min(text.length(), pos + 20);
        return "'" + text.substring(pos, end) + (end < text.length() ? "...'" : "'");
    }

    private IllegalArgumentException error(String message) {
        return new IllegalArgumentException("bad JSON at offset " + pos + ": " + message);
    }
}
