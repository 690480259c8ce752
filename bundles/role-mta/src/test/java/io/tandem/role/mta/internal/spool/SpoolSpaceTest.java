package io.tandem.role.mta.internal.spool;

import org.junit.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

public class SpoolSpaceTest {

    private static final long MIB = 1024 * 1024;

    @Test
    public void theFloorItselfIsEnoughAndOneByteLessIsNot() {
        AtomicLong free = new AtomicLong(100 * MIB);
        SpoolSpace space = new SpoolSpace(free::get, 100 * MIB, "/spool");
        assertEquals(Optional.empty(), space.shortage());
        free.set(100 * MIB - 1);
        assertEquals(Optional.of("spool /spool has 99 MiB free, below spool.min.free.mb = 100"), space.shortage());
        free.set(500 * MIB);
        assertEquals("room again, mail again", Optional.empty(), space.shortage());
    }

    @Test
    public void aFreeSpaceThatCannotBeReadTakesNoMail() {
        SpoolSpace space = new SpoolSpace(() -> {
            throw new IOException("statvfs failed");
        }, 1, "/spool");
        String why = space.shortage().orElseThrow();
        assertTrue(why, why.startsWith("cannot read the free space of the spool /spool: ") && why.contains("statvfs failed"));
    }

    @Test
    public void theRealFileSystemIsRead() throws Exception {
        Path dir = Files.createTempDirectory("spool");
        try {
            long usable = Files.getFileStore(dir).getUsableSpace();
            assertTrue("a floor of 0 is no check", SpoolSpace.of(dir, 0).shortage().isEmpty());
            assertTrue("a floor below the free space is met", SpoolSpace.of(dir, 1).shortage().isEmpty());
            assertTrue("a floor above the free space is not", SpoolSpace.of(dir, usable + 1024 * MIB).shortage().isPresent());
        } finally {
            Files.delete(dir);
        }
    }
}
