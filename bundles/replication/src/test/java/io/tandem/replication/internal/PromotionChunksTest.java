package io.tandem.replication.internal;

import org.junit.Test;

import static org.junit.Assert.assertEquals;

/** How a promotion splits its accounts into chunks (one ownership transaction and one batch of markers each). */
public class PromotionChunksTest {

    @Test
    public void oneChunkPerThreadWithinTheBounds() {
        assertEquals(125, Promoter.chunkSize(1000, 8));   // 8 chunks, one per thread
        assertEquals(250, Promoter.chunkSize(1000, 4));
        assertEquals(Promoter.PROMOTION_CHUNK_MAX, Promoter.chunkSize(100_000, 8)); // large failovers: the first ones early
        assertEquals(Promoter.PROMOTION_CHUNK, Promoter.chunkSize(20, 8));          // small ones: one chunk
        assertEquals(Promoter.PROMOTION_CHUNK, Promoter.chunkSize(1, 64));
        assertEquals(Promoter.PROMOTION_CHUNK, Promoter.chunkSize(400, 8));
    }
}
