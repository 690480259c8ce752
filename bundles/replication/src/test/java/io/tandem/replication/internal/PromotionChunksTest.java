package io.tandem.replication.internal;

import org.junit.Test;

import static org.junit.Assert.assertEquals;

/** How a promotion splits its accounts into chunks (one ownership transaction and one batch of markers each). */
public class PromotionChunksTest {

    @Test
    public void oneChunkPerThreadWithinTheBounds() {
        assertEquals(125, HaService.chunkSize(1000, 8));   // 8 chunks, one per thread
        assertEquals(250, HaService.chunkSize(1000, 4));
        assertEquals(HaService.PROMOTION_CHUNK_MAX, HaService.chunkSize(100_000, 8)); // large failovers: the first ones early
        assertEquals(HaService.PROMOTION_CHUNK, HaService.chunkSize(20, 8));          // small ones: one chunk
        assertEquals(HaService.PROMOTION_CHUNK, HaService.chunkSize(1, 64));
        assertEquals(HaService.PROMOTION_CHUNK, HaService.chunkSize(400, 8));
    }
}
