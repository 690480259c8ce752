package io.tandem.blob.s3.internal;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static io.tandem.blob.s3.internal.BlobKeysTest.HELLO;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

public class SpoolTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void smallContentStaysInMemory() throws IOException {
        Path dir = tmp.getRoot().toPath().resolve("spool");
        try (Spool s = Spool.of(new ByteArrayInputStream("hello".getBytes(StandardCharsets.UTF_8)), 5, dir)) {
            assertTrue(s.inMemory());
            assertEquals(HELLO, s.sha256());
            assertEquals(5, s.size());
            try (InputStream in = s.open()) {
                assertEquals("hello", new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        assertFalse("no file for in-memory content", Files.exists(dir));
    }

    @Test
    public void largerContentGoesToAFileDeletedOnClose() throws IOException {
        byte[] content = new byte[200_000];
        new Random(7).nextBytes(content);
        Path dir = tmp.getRoot().toPath();
        Spool s = Spool.of(new ByteArrayInputStream(content), 1024, dir);
        assertFalse(s.inMemory());
        assertEquals(content.length, s.size());
        assertEquals(BlobKeys.hex(BlobKeys.sha256().digest(content)), s.sha256());
        try (InputStream in = s.open()) {
            assertArrayEquals(content, in.readAllBytes());
        }
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count());
        }
        s.close();
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
    }

    @Test
    public void emptyContent() throws IOException {
        try (Spool s = Spool.of(InputStream.nullInputStream(), 0, tmp.getRoot().toPath())) {
            assertTrue(s.inMemory());
            assertEquals(0, s.size());
            assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", s.sha256());
        }
    }
}
