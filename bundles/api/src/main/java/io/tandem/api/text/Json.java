package io.tandem.api.text;

import java.util.Collection;
import java.util.Iterator;
import java.util.Map;

/**
 * Writes maps, collections, strings, numbers, booleans, enums and {@code null} as indented JSON.
 * Maps keep their iteration order (use {@link java.util.LinkedHashMap} for a stable field order).
 */
public final class Json {

    private Json() {
    }

    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value, 0);
        return out.toString();
    }

    private static void write(StringBuilder out, Object value, int depth) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof Boolean || value instanceof Integer || value instanceof Long
                || value instanceof Short || value instanceof Byte) {
            out.append(value);
        } else if (value instanceof Number n) {
            double d = n.doubleValue();
            out.append(Double.isFinite(d) ? n.toString() : "null");
        } else if (value instanceof Map<?, ?> map) {
            writeContainer(out, '{', '}', map.entrySet().iterator(), depth, (e, d) -> {
                Map.Entry<?, ?> entry = (Map.Entry<?, ?>) e;
                quote(out, String.valueOf(entry.getKey()));
                out.append(": ");
                write(out, entry.getValue(), d);
            });
        } else if (value instanceof Collection<?> list) {
            writeContainer(out, '[', ']', list.iterator(), depth, (e, d) -> write(out, e, d));
        } else {
            quote(out, value.toString());
        }
    }

    private interface ElementWriter {
        void write(Object element, int depth);
    }

    private static void writeContainer(StringBuilder out, char open, char close, Iterator<?> it, int depth,
                                       ElementWriter element) {
        out.append(open);
        if (!it.hasNext()) {
            out.append(close);
            return;
        }
        while (it.hasNext()) {
            out.append('\n');
            indent(out, depth + 1);
            element.write(it.next(), depth + 1);
            if (it.hasNext()) {
                out.append(',');
            }
        }
        out.append('\n');
        indent(out, depth);
        out.append(close);
    }

    private static void indent(StringBuilder out, int depth) {
        out.append("  ".repeat(depth));
    }

    /** Appends a JSON string literal. */
    public static void quote(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
