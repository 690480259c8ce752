package io.tandem.replication.internal;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class ArgsTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private static final Set<String> KEYS = Set.of("accounts", "input_file", "threads");

    private static void refused(String expected, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue("'" + e.getMessage() + "' should contain '" + expected + "'", e.getMessage().contains(expected));
    }

    @Test
    public void pairsOfKnownKeysAreRead() {
        Args a = Args.parse(List.of("accounts", "A@Example.com, b@example.com", "threads", "8"), KEYS);
        assertEquals(List.of("a@example.com", "b@example.com"), a.accounts(true));
        assertEquals(8, a.integer("threads", 4, 1, 64));
        assertEquals(4, Args.parse(List.of(), KEYS).integer("threads", 4, 1, 64));
        assertEquals(List.of(), Args.parse(null, KEYS).accounts(false));
    }

    @Test
    public void badWordsAreRefusedNamingThem() {
        refused("'accounts' has no value", () -> Args.parse(List.of("threads", "2", "accounts"), KEYS));
        refused("unknown key 'acounts'", () -> Args.parse(List.of("acounts", "a@example.com"), KEYS));
        refused("key 'threads' is given twice", () -> Args.parse(List.of("threads", "1", "threads", "2"), KEYS));
        refused("threads 'many' is not a whole number from 1 to 64",
                () -> Args.parse(List.of("threads", "many"), KEYS).integer("threads", 4, 1, 64));
        refused("threads '0' is not a whole number from 1 to 64",
                () -> Args.parse(List.of("threads", "0"), KEYS).integer("threads", 4, 1, 64));
        refused("'a*@example.com' is not an account name",
                () -> Args.parse(List.of("accounts", "a*@example.com"), KEYS).accounts(true));
        refused("give either accounts or input_file",
                () -> Args.parse(List.of("accounts", "a@example.com", "input_file", "/x"), KEYS).accounts(true));
        refused("name the accounts", () -> Args.parse(List.of(), KEYS).accounts(true));
        refused("accounts ' , ' names nothing", () -> Args.parse(List.of("accounts", " , "), KEYS).accounts(true));
    }

    @Test
    public void inputFilesNameTheBadLine() throws Exception {
        Path good = tmp.newFile("good").toPath();
        Files.writeString(good, "# accounts to replicate\nalice@example.com\n\n  bob@example.com  \nalice@example.com\n");
        assertEquals(List.of("alice@example.com", "bob@example.com"),
                Args.parse(List.of("input_file", good.toString()), KEYS).accounts(true));

        Path bad = tmp.newFile("bad").toPath();
        Files.writeString(bad, "alice@example.com\n# fine\ncarol\n");
        refused("input_file " + bad + " line 3: 'carol' is not an account name",
                () -> Args.parse(List.of("input_file", bad.toString()), KEYS).accounts(true));
        Path empty = tmp.newFile("empty").toPath();
        Files.writeString(empty, "# nothing\n\n");
        refused("names no account", () -> Args.parse(List.of("input_file", empty.toString()), KEYS).accounts(true));
        refused("cannot be read", () -> Args.parse(List.of("input_file", tmp.getRoot() + "/missing"), KEYS).accounts(true));
    }
}
