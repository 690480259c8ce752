package io.tandem.api.mailbox;

import io.tandem.api.blob.BlobRef;
import org.junit.Test;

import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/** The mailbox records validate and canonicalise their values. */
public class MailboxRecordsTest {

    private static final BlobRef BLOB = new BlobRef(UUID.randomUUID(), "k", "0".repeat(64), 3);

    @Test
    public void systemFoldersHaveTheDocumentedIds() {
        assertEquals(List.of(new Folder(2, "Inbox", null), new Folder(3, "Trash", null), new Folder(5, "Sent", null)),
                Folder.systemFolders());
        assertTrue(Folder.isSystem(Folder.SENT));
        assertFalse(Folder.isSystem(Folder.FIRST_USER_ID));
    }

    @Test
    public void badValuesAreRefusedNamingThem() {
        assertMessage("folder name 'a/b'", () -> new MailboxOp.CreateFolder(300, "a/b", null));
        assertMessage("folder name ''", () -> new MailboxOp.RenameFolder(300, ""));
        assertMessage("folder id 0", () -> new MailboxOp.DeleteFolder(0));
        assertMessage("flag 'bad\nflag'", () -> new MailboxOp.SetFlags(300, Set.of("bad\nflag")));
        assertMessage("message size -1", () -> new MailboxOp.AddMessage(300, 2, BLOB, -1, 0, "", "", "", Set.of(), Set.of()));
        assertMessage("has no operation", () -> new MailboxChange(UUID.randomUUID(), 0, 1, 255, List.of(), 0));
        assertMessage("sequence 0", () -> new MailboxChange(UUID.randomUUID(), 0, 0, 255, List.of(new MailboxOp.DeleteMessage(300)), 0));
    }

    @Test
    public void flagsAreSortedAndSummaryFieldsNeverNull() {
        MailboxOp.AddMessage add = new MailboxOp.AddMessage(300, 2, BLOB, 1, 0, null, null, "x".repeat(5000),
                Set.of("\\Seen", "\\Answered"), Set.of("b", "a"));
        assertEquals(List.of("\\Answered", "\\Seen"), List.copyOf(add.flags()));
        assertEquals(List.of("a", "b"), List.copyOf(add.tags()));
        assertEquals("", add.subject());
        assertEquals(4000, add.to().length());
        assertEquals(add.message(), new Message(300, 2, BLOB, 1, 0, "", "", "x".repeat(4000), Set.of("\\Answered", "\\Seen"), Set.of("a", "b")));
        assertThrows(UnsupportedOperationException.class, () -> add.flags().add("x"));
    }

    private static void assertMessage(String part, org.junit.function.ThrowingRunnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r);
        assertTrue("'" + e.getMessage() + "' should contain " + part, e.getMessage().contains(part));
    }
}
