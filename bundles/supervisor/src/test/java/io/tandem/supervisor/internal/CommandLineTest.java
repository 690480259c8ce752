package io.tandem.supervisor.internal;

import org.junit.Test;

import java.util.List;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

public class CommandLineTest {

    @Test
    public void splitsLikeAShellWithoutExpanding() {
        assertEquals(List.of("python3", "-m", "http.server", "8080"), CommandLine.split("  python3 -m  http.server 8080 "));
        assertEquals(List.of("sh", "-c", "echo $HOME > /tmp/x"), CommandLine.split("sh -c 'echo $HOME > /tmp/x'"));
        assertEquals(List.of("a b", "say \"hi\"", "c\\d"), CommandLine.split("\"a b\" \"say \\\"hi\\\"\" c\\\\d"));
        assertEquals(List.of("ab", "", "*"), CommandLine.split("a'b' '' *"));
        assertEquals(List.of(), CommandLine.split("   "));
    }

    @Test
    public void refusesUnbalancedQuotes() {
        assertEquals("unterminated \" at position 6", assertThrows(IllegalArgumentException.class, () -> CommandLine.split("echo \"x")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> CommandLine.split("echo x\\"));
    }
}
