package io.tandem.license.internal;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The license file format: UTF-8 text, one {@code key = value} per line (blank lines and lines
 * starting with {@code #} are ignored and not signed), the last line {@code signature = <base64>}:
 * the Ed25519 signature of the {@linkplain #canonical canonical form} of every other line.
 * Keys and values are trimmed.
 *
 * <p>Only JDK types here: the test issuing tool runs this class outside OSGi with no other jar.
 */
public final class LicenseFormat {

    public static final String SIGNATURE = "signature";
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_.-]+");
    private static final int SHOWN = 60;

    private LicenseFormat() {
    }

    /** A line the parser refused; {@link #line()} is 1-based. */
    public static final class FormatException extends Exception {
        private final int line;

        FormatException(int line, String message) {
            super("line " + line + ": " + message);
            this.line = line;
        }

        public int line() {
            return line;
        }
    }

    /**
     * A parsed file.
     *
     * @param fields        every key except {@code signature}, in file order
     * @param lines         the line number of each key
     * @param signature     the signature value, {@code null} when the file has no signature line
     * @param signatureLine its line number, 0 when there is none
     */
    public record Parsed(Map<String, String> fields, Map<String, Integer> lines, String signature, int signatureLine) {
        public Parsed {
            fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
            lines = Collections.unmodifiableMap(new LinkedHashMap<>(lines));
        }
    }

    /**
     * The bytes that are signed: the fields sorted by key (keys are ASCII, so this is byte order),
     * each as {@code key=value\n} with no spaces around {@code =}, in UTF-8. {@code signature} is
     * never part of it.
     *
     * @throws IllegalArgumentException for a key outside {@code [A-Za-z0-9_.-]+}, the key
     *                                  {@code signature}, or a value that would not read back the
     *                                  same (line breaks, leading or trailing blanks)
     */
    public static byte[] canonical(Map<String, String> fields) {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, String> e : new TreeMap<>(fields).entrySet()) {
            String key = e.getKey();
            String value = e.getValue();
            if (!KEY.matcher(key).matches()) {
                throw new IllegalArgumentException("'" + key + "' is not a valid license key (letters, digits, '.', '_', '-')");
            }
            if (key.equals(SIGNATURE)) {
                throw new IllegalArgumentException("'signature' cannot be a signed field");
            }
            if (value == null || value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || !value.equals(value.strip())) {
                throw new IllegalArgumentException("value of " + key + " must be one line without leading or trailing blanks: '" + value + "'");
            }
            out.append(key).append('=').append(value).append('\n');
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The file's bytes as text: strict UTF-8. */
    public static String decode(byte[] bytes) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes)).toString();
    }

    /** Parses the text of a license file (LF or CRLF line ends, a leading byte order mark is ignored). */
    public static Parsed parse(String text) throws FormatException {
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        Map<String, String> fields = new LinkedHashMap<>();
        Map<String, Integer> lines = new LinkedHashMap<>();
        String signature = null;
        int signatureLine = 0;
        String[] all = text.split("\n", -1);
        for (int i = 0; i < all.length; i++) {
            int number = i + 1;
            String line = all[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new FormatException(number, "expected 'key = value', found '" + shown(line) + "'");
            }
            String key = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            if (!KEY.matcher(key).matches()) {
                throw new FormatException(number, "'" + shown(key) + "' is not a valid key (letters, digits, '.', '_', '-')");
            }
            if (signatureLine > 0) {
                throw new FormatException(number, key + " after the signature (line " + signatureLine
                        + "): the signature must be the last line");
            }
            if (key.equals(SIGNATURE)) {
                signature = value;
                signatureLine = number;
                continue;
            }
            Integer first = lines.get(key);
            if (first != null) {
                throw new FormatException(number, key + " repeated (first on line " + first + ")");
            }
            fields.put(key, value);
            lines.put(key, number);
        }
        return new Parsed(fields, lines, signature, signatureLine);
    }

    /** The text of a license file: the fields in the given order, then the signature line. */
    public static String write(Map<String, String> fields, String signature) {
        canonical(fields); // validates keys and values
        StringBuilder out = new StringBuilder();
        fields.forEach((k, v) -> out.append(k).append(" = ").append(v).append('\n'));
        out.append(SIGNATURE).append(" = ").append(signature).append('\n');
        return out.toString();
    }

    private static String shown(String s) {
        return s.length() <= SHOWN ? s : s.substring(0, SHOWN) + "...";
    }
}
