package io.tandem.blob.s3.internal;

import org.junit.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import static io.tandem.blob.s3.internal.BlobKeysTest.HELLO;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class VerifyingInputStreamTest {

    private static InputStream stream(String content, long size) {
        return new VerifyingInputStream(new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8)),
                "p/2c/f2/" + HELLO, HELLO, size);
    }

    @Test
    public void readsTheExpectedContent() throws IOException {
        try (InputStream in = stream("hello", 5)) {
            assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), in.readAllBytes());
            assertEquals(-1, in.read());
        }
    }

    @Test
    public void singleByteReadsAndSkipAreVerifiedToo() throws IOException {
        InputStream in = stream("hello", 5);
        assertEquals('h', in.read());
        assertEquals(2, in.skip(2));
        assertEquals('l', in.read());
        assertEquals('o', in.read());
        assertEquals(-1, in.read());

        InputStream bad = stream("hellO", 5);
        IOException e = assertThrows("skipping past the end reaches the end: verified", IOException.class, () -> bad.skip(10));
        assertTrue(e.getMessage(), e.getMessage().contains("sha256"));
    }

    @Test
    public void differentContentOfTheSameSizeFailsAtTheEndNamingTheKey() {
        InputStream in = stream("HELLO", 5);
        IOException e = assertThrows(IOException.class, in::readAllBytes);
        assertTrue(e.getMessage(), e.getMessage().startsWith("blob p/2c/f2/" + HELLO + " is corrupt: sha256 "));
        assertTrue(e.getMessage(), e.getMessage().endsWith("expected " + HELLO));
        IOException again = assertThrows(IOException.class, in::read);
        assertEquals("every later read fails the same way", e.getMessage(), again.getMessage());
    }

    @Test
    public void shorterContentFails() {
        IOException e = assertThrows(IOException.class, () -> stream("hell", 5).readAllBytes());
        assertTrue(e.getMessage(), e.getMessage().contains("is corrupt: 4 bytes, expected 5"));
    }

    @Test
    public void longerContentFailsAsSoonAsItIsLonger() {
        InputStream in = stream("hello world", 5);
        byte[] buffer = new byte[3];
        IOException e = assertThrows(IOException.class, () -> {
            while (in.read(buffer) != -1) {
                // keep reading
            }
        });
        assertTrue(e.getMessage(), e.getMessage().contains("more than the expected 5 bytes"));
    }
}
