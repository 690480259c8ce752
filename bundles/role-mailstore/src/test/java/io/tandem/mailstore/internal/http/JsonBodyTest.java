package io.tandem.mailstore.internal.http;

import org.junit.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class JsonBodyTest {

    @Test
    public void readsTheShapesOfTheApi() {
        assertEquals(List.of("\\Seen", "w\u00e9rk", "a\"b/c"), List.copyOf(JsonBody.strings(" [\"\\\\Seen\", \"w\\u00e9rk\",\"a\\\"b\\/c\"] ")));
        assertEquals(Set.of(), JsonBody.strings("[]"));
        assertEquals(List.of("x"), List.copyOf(JsonBody.strings("[\"x\",\"x\"]")));
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("name", "Projects");
        expected.put("parentId", null);
        assertEquals(expected, JsonBody.object("{\"name\":\"Projects\",\"parentId\":null}", Set.of("name", "parentId")));
        assertEquals(Map.of("folderId", -7L), JsonBody.object("{ \"folderId\" : -7 }", Set.of("folderId")));
        assertEquals(Arrays.asList(true, false, null, 0L, Map.of(), List.of()), JsonBody.parse("[true,false,null,0,{},[]]"));
        assertEquals(List.of(Long.MIN_VALUE, Long.MAX_VALUE), JsonBody.parse("[-9223372036854775808, 9223372036854775807]"));
        assertEquals(List.of(List.of(List.of(List.of(List.of(List.of(List.of(List.of()))))))), JsonBody.parse("[[[[[[[[]]]]]]]]"));
    }

    @Test
    public void refusesAnythingButStrictJsonNamingTheProblem() {
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("[\"a\",]", "bad JSON at offset 5: Unexpected character (']' (code 93)): expected a valid value");
        bad.put("['a']", "bad JSON at offset 1: Unexpected character (''' (code 39))");
        bad.put("[\"a\"] x", "Unrecognized token 'x'");
        bad.put("[" + "1".repeat(1001) + "]", "bad JSON: Number value length (1001) exceeds the maximum");
        bad.put("[\"a\"] 1", "bad JSON at offset 6: unexpected '1' after the JSON value");
        bad.put("{\"a\":1,\"a\":2}", "Duplicate field 'a'");
        bad.put("[01]", "Leading zeroes not allowed");
        bad.put("[1e3]", "bad JSON at offset 1: number '1e3' is not an integer");
        bad.put("[1.0]", "number '1.0' is not an integer");
        bad.put("[99999999999999999999]", "number '99999999999999999999' is out of range");
        bad.put("[\"a\nb\"]", "Illegal unquoted character ((CTRL-CHAR, code 10))");
        bad.put("[\"\\x\"]", "Unrecognized character escape 'x'");
        bad.put("[\"\\u12G4\"]", "Unexpected character ('G' (code 71)): expected a hex-digit");
        bad.put("[\"abc", "Unexpected end-of-input: was expecting closing quote");
        bad.put("{a:1}", "Unexpected character ('a' (code 97)): was expecting double-quote to start field name");
        bad.put("[tru]", "Unrecognized token 'tru'");
        bad.put("[NaN]", "Non-standard token 'NaN'");
        bad.put("[1] // note", "bad JSON at offset 4");
        bad.put("[[[[[[[[[]]]]]]]]]", "bad JSON: containers nested deeper than 8");
        bad.put("   ", "the request body is empty");
        for (Map.Entry<String, String> e : bad.entrySet()) {
            IllegalArgumentException x = assertThrows(e.getKey(), IllegalArgumentException.class, () -> JsonBody.parse(e.getKey()));
            assertTrue(e.getKey() + " -> " + x.getMessage(), x.getMessage().contains(e.getValue()));
        }
    }

    @Test
    public void aRefusalDoesNotNameTheParsersInternals() {
        for (String body : List.of("[\"\\\\Seen\"", "[" + "1".repeat(1001) + "]", "[+1]", "{\"a\": [1, 2}")) {
            String m = assertThrows(body, IllegalArgumentException.class, () -> JsonBody.parse(body)).getMessage();
            assertTrue(m, m.startsWith("bad JSON"));
            for (String internal : List.of("Source", "REDACTED", "StreamReadFeature", "StreamReadConstraints", "JsonReadFeature", "`")) {
                assertFalse(body + " -> " + m, m.contains(internal));
            }
        }
        assertEquals("bad JSON at offset 9: Unexpected end-of-input: expected close marker for Array",
                assertThrows(IllegalArgumentException.class, () -> JsonBody.parse("[\"\\\\Seen\"")).getMessage());
        assertEquals("bad JSON: Number value length (1001) exceeds the maximum allowed (1000)",
                assertThrows(IllegalArgumentException.class, () -> JsonBody.parse("[" + "1".repeat(1001) + "]")).getMessage());
    }

    @Test
    public void checksTheShape() {
        assertEquals("expected a JSON array of strings, got element number 3",
                assertThrows(IllegalArgumentException.class, () -> JsonBody.strings("[\"a\", 3]")).getMessage());
        assertEquals("expected a JSON array of strings, got string \"\\\\Seen\"",
                assertThrows(IllegalArgumentException.class, () -> JsonBody.strings("\"\\\\\\\\Seen\"")).getMessage());
        assertEquals("unknown field 'parent' (expected [folderId])",
                assertThrows(IllegalArgumentException.class, () -> JsonBody.object("{\"parent\": 1}", Set.of("folderId"))).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> JsonBody.object("[]", Set.of("folderId"))).getMessage()
                .startsWith("expected a JSON object with [folderId], got an array"));
    }
}
