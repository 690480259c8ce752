package io.tandem.replication.internal;

import io.tandem.api.replication.LogRecord;
import org.junit.Test;

import java.util.List;
import java.util.OptionalLong;

import static org.junit.Assert.assertEquals;

public class SourcePositionsTest {

    private static LogRecord at(int partition, long offset) {
        return new LogRecord("k", new byte[0], partition, offset, 0);
    }

    @Test
    public void nothingIsToldOfAPartitionWhereNothingOfThisNodeWasSeen() {
        SourcePositions positions = new SourcePositions();
        assertEquals(OptionalLong.empty(), positions.resumePoint(0));
        SourcePositions.Open a = positions.begin();
        positions.written(a, List.of(at(1, 7)));
        assertEquals(OptionalLong.empty(), positions.resumePoint(0));
        assertEquals("an open change is where to resume", OptionalLong.of(7), positions.resumePoint(1));
    }

    @Test
    public void theResumePointStaysAtTheOldestOpenChangeAndMovesOnOnceItIsClosed() {
        SourcePositions positions = new SourcePositions();
        SourcePositions.Open a = positions.begin();
        positions.written(a, List.of(at(0, 10)));
        SourcePositions.Open b = positions.begin();
        positions.written(b, List.of(at(0, 14)));
        assertEquals(OptionalLong.of(10), positions.resumePoint(0));
        positions.close(b); // committed before a: a still pins the point
        assertEquals(OptionalLong.of(10), positions.resumePoint(0));
        positions.close(a);
        assertEquals("after everything seen", OptionalLong.of(15), positions.resumePoint(0));
        positions.close(a); // twice is harmless
        assertEquals(OptionalLong.of(15), positions.resumePoint(0));
    }

    @Test
    public void aChangeWhoseWriteIsUnderWayHoldsThePointAtWhatWasSeenWhenItBegan() {
        SourcePositions positions = new SourcePositions();
        SourcePositions.Open a = positions.begin();
        positions.written(a, List.of(at(0, 10)));
        SourcePositions.Open writing = positions.begin(); // will land after 10, offset not known yet
        SourcePositions.Open c = positions.begin();
        positions.written(c, List.of(at(0, 20)));
        positions.close(a);
        positions.close(c);
        assertEquals("not past where the change under way may land", OptionalLong.of(11), positions.resumePoint(0));
        positions.written(writing, List.of(at(0, 18)));
        assertEquals(OptionalLong.of(18), positions.resumePoint(0));
        positions.close(writing);
        assertEquals(OptionalLong.of(21), positions.resumePoint(0));
    }

    @Test
    public void aChangeUnderWaySinceBeforeAnythingWasSeenInAPartitionLeavesItUntold() {
        SourcePositions positions = new SourcePositions();
        SourcePositions.Open writing = positions.begin();
        SourcePositions.Open a = positions.begin();
        positions.written(a, List.of(at(0, 5)));
        assertEquals(OptionalLong.empty(), positions.resumePoint(0));
        positions.close(writing); // never written (refused)
        assertEquals(OptionalLong.of(5), positions.resumePoint(0));
    }
}
