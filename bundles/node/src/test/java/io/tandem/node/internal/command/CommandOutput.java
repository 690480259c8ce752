package io.tandem.node.internal.command;

import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

/** Reads what the commands print. */
final class CommandOutput {

    private CommandOutput() {
    }

    /** The cells of each line of a {@code --no-format} table (tab separated), trimmed. */
    static List<List<String>> rows(String out) {
        return out.lines().map(l -> Arrays.stream(l.split("\t", -1)).map(String::trim).toList()).toList();
    }

    /** The value of a "key : value" line. */
    static String value(String out, String key) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(key) + " *: (.*)$").matcher(out);
        if (!m.find()) {
            fail("no line '" + key + " : ...' in:\n" + out);
        }
        return m.group(1);
    }

    static void assertValue(String out, String key, String expected) {
        assertEquals("value of " + key + " in:\n" + out, expected, value(out, key));
    }

    static boolean hasKey(String out, String key) {
        return Pattern.compile("(?m)^" + Pattern.quote(key) + " *: ").matcher(out).find();
    }
}
