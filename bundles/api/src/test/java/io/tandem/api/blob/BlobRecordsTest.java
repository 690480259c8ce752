package io.tandem.api.blob;

import org.junit.Test;

import java.util.List;
import java.util.UUID;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class BlobRecordsTest {

    private static final UUID ID = UUID.fromString("00000000-0000-0000-0000-000000000001");
    private static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private static final String SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    @Test
    public void bucketToStringNeverShowsTheSecretAndMasksTheAccessKey() {
        BucketConfig b = new BucketConfig(ID, "MinIO", "http://127.0.0.1:9000", "mail", "us-east-1",
                "AKIAIOSFODNN7EXAMPLE", SECRET);
        String s = b.toString();
        assertFalse(s, s.contains(SECRET));
        assertFalse(s, s.contains("wJal"));
        assertFalse(s, s.contains("AKIAIOSFODNN7EXAMPLE"));
        assertFalse(s, s.contains("IOSF"));
        assertTrue(s, s.contains("accessKey=AKIA****"));
        assertTrue(s, s.contains("secretKey=****"));
        assertTrue(s, s.contains("endpoint=http://127.0.0.1:9000"));
        assertTrue(s, s.contains("bucket=mail"));
        assertEquals("AKIA****", b.maskedAccessKey());
    }

    @Test
    public void shortAccessKeysAreMaskedEntirely() {
        assertEquals("****", BucketConfig.mask("abcd"));
        assertEquals("****", BucketConfig.mask("ab"));
        assertEquals("abcd****", BucketConfig.mask("abcde"));
        BucketConfig b = new BucketConfig(ID, "S3", "https://s3.example.com", "mail", null, "key", "sec");
        assertFalse(b.toString(), b.toString().contains("key,"));
        assertFalse(b.toString(), b.toString().contains("sec,") || b.toString().contains("=sec"));
    }

    @Test
    public void bucketRegionNullBecomesEmptyAndEqualityCoversTheSecret() {
        BucketConfig a = new BucketConfig(ID, "S3", "https://s3", "mail", null, "key1", "s1");
        assertEquals("", a.region());
        BucketConfig b = new BucketConfig(ID, "S3", "https://s3", "mail", "", "key1", "s2");
        assertNotEquals("a changed secret is a changed config", a, b);
        assertEquals(a, new BucketConfig(ID, "S3", "https://s3", "mail", "", "key1", "s1"));
        assertThrows(NullPointerException.class, () -> new BucketConfig(ID, "S3", "https://s3", "mail", "", "k", null));
    }

    @Test
    public void volumeTypeAndBucketMustAgree() {
        UUID bucket = UUID.randomUUID();
        Volume s3 = new Volume(ID, "v1", Volume.Kind.PRIMARY, Volume.Type.S3, bucket, "blobs", true, false);
        assertTrue(s3.withCurrent(true).current());
        assertEquals(s3, s3.withCurrent(true).withCurrent(false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Volume(ID, "v2", Volume.Kind.PRIMARY, Volume.Type.S3, null, "blobs", false, false));
        assertTrue(e.getMessage(), e.getMessage().contains("v2"));
        e = assertThrows(IllegalArgumentException.class,
                () -> new Volume(ID, "v3", Volume.Kind.SECONDARY, Volume.Type.LOCAL, bucket, "/x", false, false));
        assertTrue(e.getMessage(), e.getMessage().contains(bucket.toString()));
    }

    @Test
    public void blobRefChecksDigestAndSize() {
        BlobRef ref = new BlobRef(ID, "p/e3/b0/" + SHA, SHA, 0);
        assertEquals(0, ref.size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BlobRef(ID, "k", SHA.toUpperCase(), 1));
        assertTrue(e.getMessage(), e.getMessage().contains(SHA.toUpperCase()));
        assertThrows(IllegalArgumentException.class, () -> new BlobRef(ID, "k", SHA.substring(1), 1));
        e = assertThrows(IllegalArgumentException.class, () -> new BlobRef(ID, "k", SHA, -1));
        assertTrue(e.getMessage(), e.getMessage().contains("-1"));
        assertThrows(IllegalArgumentException.class, () -> new BlobRef(ID, "", SHA, 1));
    }

    @Test
    public void probeReportOkOnlyWhenEveryStepIs() {
        ProbeReport.Step put = new ProbeReport.Step("put", true, 3, "17 bytes");
        ProbeReport.Step stat = new ProbeReport.Step("stat", false, 1, "access denied (wrong credentials)");
        assertTrue(ProbeReport.of(ID, List.of(put)).ok());
        ProbeReport failed = ProbeReport.of(ID, List.of(put, stat));
        assertFalse(failed.ok());
        assertEquals(stat, failed.failure().orElseThrow());
        assertFalse("no step is not a success", ProbeReport.of(ID, List.of()).ok());
        assertTrue(ProbeReport.of(ID, List.of(put)).failure().isEmpty());
    }

    @Test
    public void blobExceptionCarriesTheTemporaryFlag() {
        assertTrue(new BlobException("down", true).temporary());
        BlobException e = new BlobException("denied", false, new java.io.IOException("x"));
        assertFalse(e.temporary());
        assertEquals("x", e.getCause().getMessage());
    }
}
