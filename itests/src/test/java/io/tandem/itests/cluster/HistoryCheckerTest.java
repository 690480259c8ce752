package io.tandem.itests.cluster;

import io.tandem.itests.cluster.AckJournal.Ack;
import io.tandem.itests.cluster.History.Attempt;
import io.tandem.itests.cluster.History.Outcome;
import io.tandem.itests.cluster.HistoryChecker.MailboxVerdict;
import org.junit.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/** The nemesis checker on small synthetic histories: each rule holds, and each can fail. */
public class HistoryCheckerTest {

    private static final String A = "a@example.com";
    private static final String B = "b@example.com";
    private static long clock;

    private static Attempt attempt(String account, String subject, Outcome outcome) {
        clock += 10;
        return new Attempt(account, subject, "n1", outcome, outcome.name(), clock, clock + 5);
    }

    @Test
    public void everyAcknowledgedSubjectStoredOnceIsAPass() {
        MailboxVerdict v = HistoryChecker.mailboxes(
                List.of(attempt(A, "s1", Outcome.ACK), attempt(A, "s2", Outcome.UNSENT), attempt(A, "s2", Outcome.ACK),
                        attempt(B, "s3", Outcome.ACK)),
                Map.of(A, List.of("s1", "s2"), B, List.of("s3")));
        assertTrue(v.toString(), v.ok());
        assertEquals(3, v.acknowledged());
    }

    @Test
    public void anAcknowledgedSubjectMissingIsLost() {
        MailboxVerdict v = HistoryChecker.mailboxes(List.of(attempt(A, "s1", Outcome.ACK), attempt(A, "s2", Outcome.ACK)),
                Map.of(A, List.of("s1")));
        assertEquals(1, v.lost().size());
        assertTrue(v.lost().get(0), v.lost().get(0).startsWith(A + " 's2': 0 copies"));
        assertTrue(v.duplicated().isEmpty() && v.unexplained().isEmpty());
    }

    @Test
    public void aRetryAfterA4xxStoredTwiceIsADuplicate() {
        // the 4xx was rolled back: the retry's 250 allows one copy only
        MailboxVerdict v = HistoryChecker.mailboxes(List.of(attempt(A, "s1", Outcome.TEMPORARY), attempt(A, "s1", Outcome.ACK)),
                Map.of(A, List.of("s1", "s1")));
        assertEquals(v.toString(), 1, v.duplicated().size());
        assertTrue(v.lost().isEmpty());
    }

    @Test
    public void anAttemptInDoubtAllowsOneMoreCopyAndNoMore() {
        List<Attempt> h = List.of(attempt(A, "s1", Outcome.INDETERMINATE), attempt(A, "s1", Outcome.ACK));
        assertTrue(HistoryChecker.mailboxes(h, Map.of(A, List.of("s1"))).ok());
        assertTrue(HistoryChecker.mailboxes(h, Map.of(A, List.of("s1", "s1"))).ok());
        assertEquals(1, HistoryChecker.mailboxes(h, Map.of(A, List.of("s1", "s1", "s1"))).duplicated().size());
    }

    @Test
    public void aSubjectNeverAcknowledgedMayBeStoredOnlyIfInDoubt() {
        assertTrue(HistoryChecker.mailboxes(List.of(attempt(A, "s1", Outcome.INDETERMINATE)), Map.of(A, List.of("s1"))).ok());
        assertTrue(HistoryChecker.mailboxes(List.of(attempt(A, "s1", Outcome.INDETERMINATE)), Map.of(A, List.of())).ok());
        MailboxVerdict refused = HistoryChecker.mailboxes(List.of(attempt(A, "s1", Outcome.TEMPORARY), attempt(A, "s1", Outcome.PERMANENT)),
                Map.of(A, List.of("s1")));
        assertEquals(refused.toString(), 1, refused.unexplained().size());
    }

    @Test
    public void aSubjectNobodySentIsUnexplained() {
        MailboxVerdict v = HistoryChecker.mailboxes(List.of(attempt(A, "s1", Outcome.ACK)), Map.of(A, List.of("s1", "ghost"), B, List.of("x")));
        assertEquals(v.toString(), 2, v.unexplained().size());
        assertTrue(v.unexplained().get(0), v.unexplained().get(0).contains("'ghost'"));
    }

    @Test
    public void aJournalWithOneWriterPerEpochInOrderIsAPass() {
        List<Ack> acks = new ArrayList<>(List.of(new Ack(100, "n1", "acc", 1, 1), new Ack(200, "n1", "acc", 1, 2),
                new Ack(300, "n2", "acc", 2, 3), new Ack(150, "n2", "other", 5, 10)));
        assertEquals(List.of(), HistoryChecker.journal(acks));
    }

    @Test
    public void anEpochAcknowledgedByTwoNodesFails() {
        List<String> v = HistoryChecker.journal(List.of(new Ack(100, "n1", "acc", 1, 1), new Ack(200, "n2", "acc", 1, 2)));
        assertEquals(v.toString(), 1, v.size());
        assertTrue(v.get(0), v.get(0).contains("epoch 1 acknowledged by two nodes"));
    }

    @Test
    public void anAckOfAnOlderEpochAfterANewerOneFails() {
        // the former owner acknowledged after the new owner's first ack: two writers at once
        List<String> v = HistoryChecker.journal(List.of(new Ack(100, "n1", "acc", 1, 1), new Ack(200, "n2", "acc", 2, 2),
                new Ack(300, "n1", "acc", 1, 3)));
        assertTrue(v.toString(), v.stream().anyMatch(x -> x.contains("epoch went back")));
    }

    @Test
    public void aSequenceThatDoesNotIncreaseFails() {
        List<String> v = HistoryChecker.journal(List.of(new Ack(100, "n1", "acc", 1, 5), new Ack(200, "n1", "acc", 1, 5)));
        assertEquals(v.toString(), 1, v.size());
        assertTrue(v.get(0), v.get(0).contains("sequence did not increase"));
        assertEquals(1, HistoryChecker.journal(List.of(new Ack(100, "n1", "acc", 1, 5), new Ack(200, "n2", "acc", 2, 4))).size());
    }

    @Test
    public void journalLinesAreParsedAndAMalformedLineFails() {
        List<Ack> acks = AckJournal.parse("acks.log", List.of("123 n1 6f1c0d8e-7c3a-4a55-9d57-2f3f8e0b1a2c 3 17", ""));
        assertEquals(List.of(new Ack(123, "n1", "6f1c0d8e-7c3a-4a55-9d57-2f3f8e0b1a2c", 3, 17)), acks);
        try {
            AckJournal.parse("acks.log", List.of("123 n1 acc three 17"));
            throw new AssertionError("a malformed line was accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith("acks.log:1: not a number"));
        }
    }
}
