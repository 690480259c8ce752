package io.tandem.api.text;

import io.tandem.api.node.Role;
import org.junit.Test;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.Assert.assertEquals;

public class JsonTest {

    @Test
    public void scalars() {
        assertEquals("null", Json.write(null));
        assertEquals("true", Json.write(true));
        assertEquals("false", Json.write(false));
        assertEquals("42", Json.write(42));
        assertEquals("-7", Json.write(-7L));
        assertEquals("3", Json.write((short) 3));
        assertEquals("4", Json.write((byte) 4));
        assertEquals("1.5", Json.write(1.5d));
        assertEquals("2.25", Json.write(2.25f));
        assertEquals("10.50", Json.write(new BigDecimal("10.50")));
        assertEquals("\"text\"", Json.write("text"));
        assertEquals("\"mailstore\"", Json.write(Role.MAILSTORE));
    }

    @Test
    public void nonFiniteNumbersBecomeNull() {
        assertEquals("null", Json.write(Double.NaN));
        assertEquals("null", Json.write(Double.POSITIVE_INFINITY));
        assertEquals("null", Json.write(Double.NEGATIVE_INFINITY));
        assertEquals("null", Json.write(Float.NaN));
        assertEquals("[\n  null,\n  1.0\n]", Json.write(List.of(Double.NaN, 1.0d)));
    }

    @Test
    public void escapesQuotesAndBackslashes() {
        assertEquals("\"say \\\"hi\\\"\"", Json.write("say \"hi\""));
        assertEquals("\"C:\\\\tmp\\\\x\"", Json.write("C:\\tmp\\x"));
    }

    @Test
    public void escapesControlCharacters() {
        assertEquals("\"a\\nb\\rc\\td\"", Json.write("a\nb\rc\td"));
        assertEquals("\"\\u0000\\u0001\\u001F\"", Json.write("\u0000\u0001\u001f"));
        assertEquals("\"\\b\\f\"", Json.write("\b\f"));
        // not control characters: left as they are
        assertEquals("\" \u00e9\u20ac/\u007f\"", Json.write(" \u00e9\u20ac/\u007f"));
    }

    @Test
    public void everyStringReadsBackAsWritten() throws Exception {
        StringBuilder all = new StringBuilder();
        for (char c = 0; c < 0x300; c++) {
            all.append(c);
        }
        all.append("\ud83d\udce8"); // a character outside the BMP, as a surrogate pair
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(all.toString(), List.of(all.toString()));
        try (com.fasterxml.jackson.core.JsonParser p = new com.fasterxml.jackson.core.JsonFactory().createParser(Json.write(m))) {
            assertEquals(com.fasterxml.jackson.core.JsonToken.START_OBJECT, p.nextToken());
            assertEquals(all.toString(), p.nextFieldName());
            assertEquals(com.fasterxml.jackson.core.JsonToken.START_ARRAY, p.nextToken());
            assertEquals(all.toString(), p.nextTextValue());
        }
    }

    @Test
    public void mapKeysAreEscapedToo() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a\"b", 1);
        assertEquals("{\n  \"a\\\"b\": 1\n}", Json.write(m));
    }

    @Test
    public void emptyContainers() {
        assertEquals("{}", Json.write(Map.of()));
        assertEquals("[]", Json.write(List.of()));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("list", List.of());
        m.put("map", Map.of());
        assertEquals("{\n  \"list\": [],\n  \"map\": {}\n}", Json.write(m));
    }

    @Test
    public void nestedMapsAndListsAreIndentedInIterationOrder() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("z", 1);
        inner.put("a", List.of("x", "y"));
        Map<String, Object> outer = new LinkedHashMap<>();
        outer.put("name", "n1");
        outer.put("inner", inner);
        outer.put("missing", null);
        outer.put("list", List.of(Map.of("k", false)));
        String expected = String.join("\n",
                "{",
                "  \"name\": \"n1\",",
                "  \"inner\": {",
                "    \"z\": 1,",
                "    \"a\": [",
                "      \"x\",",
                "      \"y\"",
                "    ]",
                "  },",
                "  \"missing\": null,",
                "  \"list\": [",
                "    {",
                "      \"k\": false",
                "    }",
                "  ]",
                "}");
        assertEquals(expected, Json.write(outer));
    }

    @Test
    public void nullElementsInLists() {
        List<Object> list = new ArrayList<>(Arrays.asList(null, "a"));
        assertEquals("[\n  null,\n  \"a\"\n]", Json.write(list));
    }

    @Test
    public void quoteAppends() {
        StringBuilder out = new StringBuilder("x=");
        Json.quote(out, "\"\\");
        assertEquals("x=\"\\\"\\\\\"", out.toString());
    }
}
