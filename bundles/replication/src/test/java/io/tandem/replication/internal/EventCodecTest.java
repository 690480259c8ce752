package io.tandem.replication.internal;

import io.tandem.api.blob.BlobRef;
import io.tandem.api.mailbox.Folder;
import io.tandem.api.mailbox.MailboxChange;
import io.tandem.api.mailbox.MailboxOp;
import io.tandem.api.mailbox.Message;
import org.junit.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/**
 * The encoding is pinned by golden vectors (src/test/resources/golden/*.hex): today's code must write
 * exactly those bytes and read them back, so an encoding change cannot slip in unnoticed. Regenerate a
 * vector only with a deliberate version change: {@code -Dgolden.write=true}.
 */
public class EventCodecTest {

    private static final UUID ACCOUNT = UUID.fromString("6f1c2a9e-0000-4000-8000-00000000a001");
    private static final UUID VOLUME = UUID.fromString("0b0b0b0b-0000-4000-8000-0000000000b1");
    private static final UUID SNAP = UUID.fromString("5a5a5a5a-0000-4000-8000-0000000000c1");
    private static final UUID OP = UUID.fromString("0e0e0e0e-0000-4000-8000-0000000000d1");
    private static final long STAMP = 0x5eed_0000_0000_c0deL;
    private static final BlobRef BLOB = new BlobRef(VOLUME, "ab/cd/abcd0123", "a".repeat(64), 1234);

    static Map<String, Event> vectors() {
        Map<String, Event> v = new LinkedHashMap<>();
        v.put("change-every-op", new Event.Change(new MailboxChange(ACCOUNT, 3, 42, 260, List.of(
                new MailboxOp.CreateFolder(257, "Työ ✓", null),
                new MailboxOp.CreateFolder(258, "Sub", 257L),
                new MailboxOp.RenameFolder(258, "Renamed"),
                new MailboxOp.AddMessage(259, Folder.INBOX, BLOB, 2000, 1_700_000_000_000L, "Hello", "a@example.com",
                        "b@example.org", Set.of("\\Seen", "\\Flagged"), Set.of("red")),
                new MailboxOp.SetFlags(259, Set.of("\\Answered")),
                new MailboxOp.SetTags(259, Set.of()),
                new MailboxOp.MoveMessage(259, 258),
                new MailboxOp.DeleteMessage(259),
                new MailboxOp.DeleteFolder(258)), 1_700_000_000_500L, STAMP)));
        v.put("snapshot-begin", new Event.SnapshotBegin(ACCOUNT, "mbox2", SNAP, 3, 42, 260, 2,
                List.of(new Folder(Folder.INBOX, "Inbox", null), new Folder(257, "Work", null), new Folder(258, "Sub", 257L)),
                STAMP));
        v.put("snapshot-chunk", new Event.SnapshotChunk(ACCOUNT, SNAP, 1, List.of(
                new Message(259, Folder.INBOX, BLOB, 2000, 1_700_000_000_000L, "Hello", "a@example.com", "b@example.org",
                        Set.of("\\Seen"), Set.of("red", "blue")))));
        v.put("promotion", new Event.Promotion(ACCOUNT, 4, "mbox2", "mbox1", OP, 1_700_000_001_000L));
        v.put("promotion-no-operation", new Event.Promotion(ACCOUNT, 5, "mbox1", "mbox2", null, 1_700_000_002_000L));
        v.put("promotion-give-back", new Event.Promotion(ACCOUNT, 7, "mbox1", "mbox2", OP, 1_700_000_003_000L, 5));
        return v;
    }

    private static Path golden(String name) {
        return Paths.get("src/test/resources/golden", name + ".hex");
    }

    @Test
    public void todaysEncodingWritesAndReadsTheGoldenVectors() throws IOException {
        for (Map.Entry<String, Event> e : vectors().entrySet()) {
            byte[] encoded = EventCodec.encode(e.getValue());
            Path file = golden(e.getKey());
            if (Boolean.getBoolean("golden.write")) {
                Files.writeString(file, HexFormat.of().formatHex(encoded) + "\n");
            }
            byte[] expected = HexFormat.of().parseHex(Files.readString(file, StandardCharsets.US_ASCII).trim());
            assertArrayEquals(e.getKey() + ": the encoding changed; that needs a new version", expected, encoded);
            assertEquals(e.getKey(), e.getValue(), EventCodec.decode(expected));
        }
    }

    /**
     * Events written before changes carried a stamp (decision 0021) are still read: the stamp is 0, unknown,
     * and everything else is as written.
     */
    @Test
    public void vectorsWrittenBeforeStampsAreReadWithoutOne() throws IOException {
        for (String name : List.of("change-every-op", "snapshot-begin")) {
            byte[] older = HexFormat.of().parseHex(Files.readString(golden(name + ".before-stamps"), StandardCharsets.US_ASCII).trim());
            Event read = EventCodec.decode(older);
            Event today = vectors().get(name);
            if (today instanceof Event.Change c) {
                MailboxChange m = c.change();
                assertEquals(name, new Event.Change(new MailboxChange(m.accountId(), m.epoch(), m.sequence(), m.itemId(), m.ops(),
                        m.committedMillis(), 0)), read);
            } else {
                Event.SnapshotBegin b = (Event.SnapshotBegin) today;
                assertEquals(name, new Event.SnapshotBegin(b.accountId(), b.destination(), b.snapshotId(), b.epoch(), b.sequence(),
                        b.itemId(), b.chunks(), b.folders(), 0), read);
            }
            assertEquals(name + ": today's encoding is the older one plus the stamp", older.length + Long.BYTES,
                    EventCodec.encode(today).length);
        }
    }

    /** A give-back appends its return epoch; read as an older node reads it, it is an ordinary promotion. */
    @Test
    public void aGiveBackIsAPromotionWithItsReturnEpochAppended() {
        Event.Promotion back = (Event.Promotion) vectors().get("promotion-give-back");
        Event.Promotion plain = new Event.Promotion(back.accountId(), back.epoch(), back.newOwner(), back.previousOwner(),
                back.operationId(), back.createdMillis());
        byte[] withReturn = EventCodec.encode(back);
        byte[] without = EventCodec.encode(plain);
        assertEquals(without.length + Long.BYTES, withReturn.length);
        assertEquals(0, ((Event.Promotion) EventCodec.decode(without)).returnEpoch());
        assertEquals(5, ((Event.Promotion) EventCodec.decode(withReturn)).returnEpoch());
        assertThrows(IllegalArgumentException.class, () -> new Event.Promotion(ACCOUNT, 5, "a", "b", null, 1, 5));
    }

    @Test
    public void fieldsAppendedByANewerMinorVersionAreSkipped() {
        Event.Change change = (Event.Change) vectors().get("change-every-op");
        // a newer writer appended a field to the event body and to one operation body
        byte[] one = EventCodec.encode(new Event.Change(new MailboxChange(ACCOUNT, 3, 42, 260,
                List.of(new MailboxOp.DeleteMessage(259)), 1, STAMP)));
        ByteBuffer old = ByteBuffer.wrap(one);
        // header(4) bodyLen(4) | account(16) epoch sequence itemId committed (32) count(4) | tag(1) len(4) itemId(8) | stamp(8)
        int opLenAt = 8 + 16 + 32 + 4 + 1;
        int stampAt = opLenAt + 4 + 8;
        ByteBuffer grown = ByteBuffer.allocate(one.length + 3 + 5);
        grown.put(one, 0, 4).putInt(old.getInt(4) + 3 + 5);
        grown.put(one, 8, opLenAt - 8).putInt(8 + 3).put(one, opLenAt + 4, 8).put(new byte[] {7, 7, 7});
        grown.put(one, stampAt, Long.BYTES).put(new byte[] {1, 2, 3, 4, 5});
        Event read = EventCodec.decode(grown.array());
        assertEquals(List.of(new MailboxOp.DeleteMessage(259)), ((Event.Change) read).change().ops());
        assertEquals(change.change().sequence(), ((Event.Change) read).change().sequence());
        assertEquals(STAMP, ((Event.Change) read).change().stamp());
    }

    @Test
    public void whatThisVersionCannotReadIsRefusedSayingWhat() {
        byte[] good = EventCodec.encode(vectors().get("promotion"));

        byte[] newer = good.clone();
        newer[2] = 2;
        assertRefused(newer, "event encoding version 2 is not the version this node reads (1)");

        byte[] unknownType = good.clone();
        unknownType[3] = 9;
        assertRefused(unknownType, "event type 9 is unknown to this node");

        byte[] change = EventCodec.encode(new Event.Change(new MailboxChange(ACCOUNT, 3, 42, 260,
                List.of(new MailboxOp.DeleteMessage(259)), 1)));
        change[8 + 16 + 32 + 4] = 42; // the operation's tag
        assertRefused(change, "change 42 of " + ACCOUNT + " holds operation type 42, unknown to this node");

        assertRefused(java.util.Arrays.copyOf(good, good.length - 3), "impossible block length");
        assertRefused("hello world".getBytes(StandardCharsets.US_ASCII), "not a Tandem replication event");
        assertRefused(new byte[0], "not a Tandem replication event");
    }

    @Test
    public void equalFlagSetsEncodeToEqualBytesWhateverTheirOrder() {
        MailboxChange a = new MailboxChange(ACCOUNT, 1, 2, 3, List.of(new MailboxOp.SetFlags(259, new java.util.LinkedHashSet<>(List.of("b", "a")))), 9);
        MailboxChange b = new MailboxChange(ACCOUNT, 1, 2, 3, List.of(new MailboxOp.SetFlags(259, new java.util.LinkedHashSet<>(List.of("a", "b")))), 9);
        assertArrayEquals(EventCodec.encode(new Event.Change(a)), EventCodec.encode(new Event.Change(b)));
    }

    private static void assertRefused(byte[] bytes, String expected) {
        UnreadableEventException e = assertThrows(UnreadableEventException.class, () -> EventCodec.decode(bytes));
        assertTrue("'" + e.getMessage() + "' should contain '" + expected + "'", e.getMessage().contains(expected));
    }
}
