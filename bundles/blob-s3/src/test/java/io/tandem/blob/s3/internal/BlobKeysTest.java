package io.tandem.blob.s3.internal;

import org.junit.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

public class BlobKeysTest {

    /** SHA-256 of "hello". */
    static final String HELLO = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    @Test
    public void keyFansOutOnTheFirstTwoBytesOfTheDigest() {
        assertEquals("mailstore/blobs/2c/f2/" + HELLO, BlobKeys.key("mailstore/blobs", HELLO));
        assertEquals("2c/f2/" + HELLO, BlobKeys.key("", HELLO));
        assertEquals("2c/f2/" + HELLO, BlobKeys.key(null, HELLO));
    }

    @Test
    public void digestIsLowercaseHexSha256() {
        assertEquals(HELLO, BlobKeys.hex(BlobKeys.sha256().digest("hello".getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    public void refusesAShortDigest() {
        assertThrows(IllegalArgumentException.class, () -> BlobKeys.key("p", "abcd"));
    }
}
