package io.tandem.role.mta.internal.spool;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class SpoolTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private static final UUID ALICE = UUID.fromString("00000000-0000-0000-0000-00000000a11c");
    private static final UUID BOB = UUID.fromString("00000000-0000-0000-0000-000000000b0b");

    private static Envelope envelope(String id, long received) {
        return new Envelope(id, "sender@remote.test", received, "mx.remote.test [192.0.2.1]", 11,
                List.of(new Recipient("alice@example.com", ALICE), new Recipient("bob@example.com", BOB)));
    }

    private static String commit(Spool spool, long received, String text) throws IOException {
        String id = Spool.newId(received);
        try (Spool.Incoming in = spool.receive(id)) {
            in.out().write(text.getBytes(StandardCharsets.UTF_8));
            in.commit(envelope(id, received));
        }
        return id;
    }

    @Test
    public void aCommittedMessageIsReadBackWithItsStateAfterReopening() throws Exception {
        Path root = tmp.newFolder().toPath();
        Spool spool = Spool.open(root).spool();
        String second = commit(spool, 2000, "second msg\r\n");
        String first = commit(spool, 1000, "first body\r\n");

        // the delivery state changes and is written
        Envelope e = Spool.open(root).queued().get(0);
        assertEquals(first, e.id());
        e.recipients().get(0).attempted(Recipient.State.DELIVERED, "250 2.0.0 stored as item 3", "mbox1", 0);
        e.recipients().get(1).attempted(Recipient.State.PENDING, "451 4.2.0 hosted elsewhere", "mbox1", 12345);
        spool.update(e);

        Spool.Contents reopened = Spool.open(root);
        assertEquals(0, reopened.discarded());
        assertEquals("oldest first", List.of(first, second), reopened.queued().stream().map(Envelope::id).toList());
        Envelope back = reopened.queued().get(0);
        assertEquals("sender@remote.test", back.sender());
        assertEquals(1000, back.received());
        assertEquals("mx.remote.test [192.0.2.1]", back.client());
        Recipient alice = back.recipients().get(0);
        Recipient bob = back.recipients().get(1);
        assertEquals(Recipient.State.DELIVERED, alice.state());
        assertEquals("250 2.0.0 stored as item 3", alice.lastReply());
        assertEquals(ALICE, alice.accountId());
        assertEquals(Recipient.State.PENDING, bob.state());
        assertEquals(1, bob.attempts());
        assertEquals(12345, bob.nextAttempt());
        assertEquals("mbox1", bob.destination());
        assertEquals(12345, back.nextAttempt());
        try (InputStream in = reopened.spool().message(first)) {
            assertEquals("first body\r\n", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    public void whatWasNeverCommittedIsDiscardedOnOpen() throws Exception {
        Path root = tmp.newFolder().toPath();
        Spool spool = Spool.open(root).spool();
        String kept = commit(spool, 1000, "kept\r\n");
        // a message being received when the process died: still in tmp/
        Spool.Incoming receiving = spool.receive(Spool.newId(2000));
        receiving.out().write("half a mess".getBytes(StandardCharsets.UTF_8));
        receiving.out().flush();
        // a message moved into the queue whose envelope was never written (died between the two steps)
        Files.writeString(root.resolve("queue/" + Spool.newId(3000) + ".msg"), "no envelope\r\n");
        // an envelope being replaced when the process died
        Files.writeString(root.resolve("queue/" + kept + ".env.tmp"), "format=1\nid=" + kept + "\nreci");

        Spool.Contents reopened = Spool.open(root);
        assertEquals(3, reopened.discarded());
        assertEquals(List.of(kept), reopened.queued().stream().map(Envelope::id).toList());
        try (var files = Files.list(root.resolve("queue"))) {
            assertEquals(List.of(kept + ".env", kept + ".msg"), files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        try (var files = Files.list(root.resolve("tmp"))) {
            assertEquals(0, files.count());
        }
    }

    @Test
    public void aReceptionClosedWithoutCommitLeavesNothing() throws Exception {
        Path root = tmp.newFolder().toPath();
        Spool spool = Spool.open(root).spool();
        try (Spool.Incoming in = spool.receive(Spool.newId(1))) {
            in.out().write("refused: too large".getBytes(StandardCharsets.UTF_8));
        }
        assertEquals(0, Spool.open(root).queued().size());
        try (var files = Files.list(root.resolve("tmp"))) {
            assertEquals(0, files.count());
        }
        assertThrows(IllegalArgumentException.class, () -> spool.receive("../escape"));
    }

    @Test
    public void deliveredMessagesAreRemovedAndFailedOnesKeptWithTheReason() throws Exception {
        Path root = tmp.newFolder().toPath();
        Spool spool = Spool.open(root).spool();
        String done = commit(spool, 1000, "done\r\n");
        String failed = commit(spool, 2000, "failed\r\n");
        spool.remove(done);
        Envelope f = Spool.open(root).queued().get(0);
        f.recipients().get(0).attempted(Recipient.State.FAILED, "550 5.1.1 no such account", "mbox1", 0);
        f.recipients().get(1).attempted(Recipient.State.DELIVERED, "250 ok", "mbox1", 0);
        f.failure("alice@example.com: 550 5.1.1 no such account");
        spool.moveToFailed(f);

        assertEquals(List.of(), Spool.open(root).queued());
        List<Envelope> area = spool.failed();
        assertEquals(1, area.size());
        assertEquals(failed, area.get(0).id());
        assertEquals("alice@example.com: 550 5.1.1 no such account", area.get(0).failure());
        assertFalse(area.get(0).pending());
        assertTrue(Files.exists(root.resolve("failed/" + failed + ".msg")));
    }

    @Test
    public void anInterruptedMoveToTheFailedAreaIsFinishedOnOpen() throws Exception {
        Path root = tmp.newFolder().toPath();
        Spool spool = Spool.open(root).spool();
        String id = commit(spool, 1000, "failing\r\n");
        // died after moving the message, before the envelope followed
        Files.move(root.resolve("queue/" + id + ".msg"), root.resolve("failed/" + id + ".msg"));
        Spool.Contents reopened = Spool.open(root);
        assertEquals(List.of(), reopened.queued());
        assertEquals(List.of(id), reopened.spool().failed().stream().map(Envelope::id).toList());
    }

    @Test
    public void anUnreadableEnvelopeStopsTheSpoolFromOpeningNamingTheFile() throws Exception {
        Path root = tmp.newFolder().toPath();
        Spool spool = Spool.open(root).spool();
        String id = commit(spool, 1000, "x\r\n");
        Files.writeString(root.resolve("queue/" + id + ".env"), "format=9\n");
        IOException e = assertThrows(IOException.class, () -> Spool.open(root));
        assertTrue(e.getMessage(), e.getMessage().contains(id + ".env") && e.getMessage().contains("format 9"));
    }
    /** A file system that cannot take the envelope: the sender is told to retry, and nothing of the message stays queued. */
    @Test
    public void aMessageWhoseEnvelopeCannotBeWrittenLeavesNothingQueued() throws Exception {
        Path root = tmp.newFolder().toPath();
        Spool spool = Spool.open(root).spool();
        String id = Spool.newId(1000);
        // the envelope's temporary file cannot be created (what ENOSPC does to it)
        Files.createDirectories(root.resolve("queue").resolve(id + ".env.tmp").resolve("obstacle"));
        try (Spool.Incoming in = spool.receive(id)) {
            in.out().write("body\r\n".getBytes(StandardCharsets.UTF_8));
            assertThrows(IOException.class, () -> in.commit(envelope(id, 1000)));
        }
        assertFalse("the message left the queue at once (its space too)", Files.exists(root.resolve("queue").resolve(id + ".msg")));
        assertFalse(Files.exists(root.resolve("queue").resolve(id + ".env")));
        assertEquals(List.of(), Spool.open(root).queued());
    }

    /** A move to the failed area that failed after moving the message (its envelope could not be written) is finished by the next try. */
    @Test
    public void aMoveToTheFailedAreaThatFailedHalfwayIsFinishedByTheNextTry() throws Exception {
        Path root = tmp.newFolder().toPath();
        Spool spool = Spool.open(root).spool();
        String id = commit(spool, 1000, "body\r\n");
        Envelope e = Spool.open(root).queued().get(0);
        e.recipients().forEach(r -> r.attempted(Recipient.State.FAILED, "550 5.1.1 no such user", "mbox1", 0));
        Path obstacle = root.resolve("failed").resolve(id + ".env.tmp").resolve("obstacle");
        Files.createDirectories(obstacle);
        assertThrows(IOException.class, () -> spool.moveToFailed(e));
        assertTrue("the message got there first", Files.exists(root.resolve("failed").resolve(id + ".msg")));
        Files.delete(obstacle);
        Files.delete(obstacle.getParent());

        spool.moveToFailed(e); // the deliverer's next tick
        assertEquals(List.of(id), spool.failed().stream().map(Envelope::id).toList());
        assertFalse(Files.exists(root.resolve("queue").resolve(id + ".env")));
        assertEquals(List.of(), Spool.open(root).queued());
    }

    /** What cannot be discarded at a start (a read-only file system) does not keep the acknowledged mail from being read. */
    @Test
    public void anEntryThatCannotBeDiscardedDoesNotKeepTheSpoolFromOpening() throws Exception {
        Path root = tmp.newFolder().toPath();
        Spool spool = Spool.open(root).spool();
        String id = commit(spool, 1000, "body\r\n");
        Files.createDirectories(root.resolve("tmp").resolve("X-000000000000.msg").resolve("not empty"));
        Spool.Contents reopened = Spool.open(root);
        assertEquals(List.of(id), reopened.queued().stream().map(Envelope::id).toList());
        assertEquals(0, reopened.discarded());
    }
}
