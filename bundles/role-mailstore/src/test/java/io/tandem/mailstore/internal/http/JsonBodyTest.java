package io.tandem.mailstore.internal.http;

import org.junit.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.Assert.assertEquals;
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
    }

    @Test
    public void refusesAnythingButStrictJsonNamingTheProblem() {
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("[\"a\",]", "bad JSON at offset 5: unexpected ']'");
        bad.put("['a']", "bad JSON at offset 1: unexpected ''a']'");
        bad.put("[\"a\"] x", "bad JSON at offset 6: unexpected 'x' after the JSON value");
        bad.put("{\"a\":1,\"a\":2}", "duplicate field 'a'");
        bad.put("[01]", "number '01' is not an integer");
        bad.put("[1e3]", "number '1e3' is not an integer");
        bad.put("[99999999999999999999]", "number '99999999999999999999' is out of range");
        bad.put("[\"a\nb\"]", "control character U+000A inside a string");
        bad.put("[\"\\x\"]", "bad escape '\\x'");
        bad.put("[\"\\u12G4\"]", "bad \\u escape '\\u12G4'");
        bad.put("[\"abc", "unterminated string starting with '\"abc'");
        bad.put("{a:1}", "expected a field name in quotes, got 'a:1}'");
        bad.put("[tru]", "unexpected 'tru]'");
        bad.put("[[[[[[[[[[]]]]]]]]]]", "nested deeper than 8");
        bad.put("   ", "the request body is empty");
        for (Map.Entry<String, String> e : bad.entrySet()) {
            IllegalArgumentException x = assertThrows(e.getKey(), IllegalArgumentException.class, () -> JsonBody.parse(e.getKey()));
            assertTrue(e.getKey() + " -> " + x.getMessage(), x.getMessage().contains(e.getValue()));
        }
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
