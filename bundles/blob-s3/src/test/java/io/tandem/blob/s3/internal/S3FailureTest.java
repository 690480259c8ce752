package io.tandem.blob.s3.internal;

import io.minio.errors.ServerException;
import io.tandem.api.blob.BucketConfig;
import org.junit.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.UUID;
import java.util.concurrent.ExecutionException;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

/** Reasons an operator can act on, and which failures are worth retrying. */
public class S3FailureTest {

    private static final String SECRET = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY";
    private static final BucketConfig BUCKET = new BucketConfig(UUID.randomUUID(), "MinIO", "http://s3.test:9000",
            "mail", "", "AKIAIOSFODNN7EXAMPLE", SECRET);

    private static void noCredentials(S3Failure f) {
        assertFalse(f.reason(), f.reason().contains(SECRET));
        assertFalse(f.reason(), f.reason().contains("AKIAIOSFODNN7EXAMPLE"));
    }

    @Test
    public void networkFailuresAreTemporary() {
        ConnectException refused = new ConnectException("Failed to connect to /127.0.0.1:9000");
        S3Failure f = S3Failure.of(refused, BUCKET);
        assertEquals("connection refused by s3.test:9000", f.reason());
        assertTrue(f.temporary());
        assertSame("JDK causes are kept", refused, f.cause());

        f = S3Failure.of(new UnknownHostException("s3.test: Name or service not known"), BUCKET);
        assertEquals("unknown host s3.test", f.reason());
        assertTrue(f.temporary());

        f = S3Failure.of(new SocketTimeoutException("timeout"), BUCKET);
        assertEquals("timeout talking to s3.test:9000", f.reason());
        assertTrue(f.temporary());

        f = S3Failure.of(new ConnectException("connect timed out"), BUCKET);
        assertEquals("connect timeout to s3.test:9000", f.reason());
    }

    @Test
    public void wrappedExceptionsAreUnwrapped() {
        S3Failure f = S3Failure.of(new RuntimeException(new ExecutionException(new ConnectException("refused"))), BUCKET);
        assertEquals("connection refused by s3.test:9000", f.reason());
    }

    @Test
    public void credentialErrorsArePermanentAndSayAccessDenied() {
        for (String code : new String[] {"SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied"}) {
            S3Failure f = S3Failure.ofCode(code, 403, BUCKET);
            assertTrue(code + ": " + f.reason(), f.reason().startsWith("access denied (wrong credentials"));
            assertFalse(f.temporary());
            noCredentials(f);
        }
        assertTrue(S3Failure.ofCode("InvalidAccessKeyId", 403, BUCKET).reason().contains("AKIA****"));
    }

    @Test
    public void missingBucketAndObject() {
        S3Failure f = S3Failure.ofCode("NoSuchBucket", 404, BUCKET);
        assertEquals("no such bucket 'mail' on http://s3.test:9000", f.reason());
        assertFalse(f.temporary());
        assertFalse(f.missing());
        f = S3Failure.ofCode("NoSuchKey", 404, BUCKET);
        assertTrue(f.missing());
        assertFalse(f.temporary());
    }

    @Test
    public void serverSideTroubleIsTemporary() {
        assertTrue(S3Failure.ofCode("SlowDown", 503, BUCKET).temporary());
        assertTrue(S3Failure.ofCode("Whatever", 500, BUCKET).temporary());
        S3Failure f = S3Failure.ofCode("InvalidArgument", 400, BUCKET);
        assertFalse(f.temporary());
        assertEquals("S3 error InvalidArgument (HTTP 400)", f.reason());
        f = S3Failure.of(new ServerException("bad gateway", 502, "trace with Authorization: AWS4 ..."), BUCKET);
        assertEquals("S3 server error (HTTP 502) from s3.test:9000", f.reason());
        assertTrue(f.temporary());
        assertNull("MinIO exceptions are never chained (they carry an HTTP trace)", f.cause());
    }

    @Test
    public void otherIoErrorsAreTemporaryAndForeignTypesAreNotChained() {
        class StreamResetException extends IOException {
            StreamResetException() {
                super("stream was reset: CANCEL");
            }
        }
        S3Failure f = S3Failure.of(new StreamResetException(), BUCKET);
        assertTrue(f.temporary());
        assertTrue(f.reason(), f.reason().contains("stream was reset"));
        assertNull(f.cause());
        assertTrue(S3Failure.of(new IOException("x"), BUCKET).cause() instanceof IOException);
    }

    @Test
    public void unexpectedExceptionsArePermanent() {
        S3Failure f = S3Failure.of(new IllegalStateException("boom"), BUCKET);
        assertFalse(f.temporary());
        assertEquals("unexpected IllegalStateException with s3.test:9000", f.reason());
    }

    /** A node an hour behind gets "wrong credentials" from S3; the reason must name the clock instead. */
    @Test
    public void aSignatureRefusedByAServerWhoseClockIsFarOffNamesTheClock() {
        java.time.Instant now = java.time.Instant.parse("2026-12-07T10:00:00Z");
        S3Failure refused = S3Failure.ofCode("SignatureDoesNotMatch", 403, BUCKET);
        S3Failure behind = S3Failure.clock(refused, "Mon, 07 Dec 2026 11:00:00 GMT", now);
        assertTrue(behind.reason(), behind.reason().contains("clock is 3600 s behind the S3 server's"));
        S3Failure ahead = S3Failure.clock(S3Failure.ofCode("RequestTimeTooSkewed", 403, BUCKET), "Mon, 07 Dec 2026 09:50:00 GMT", now);
        assertTrue(ahead.reason(), ahead.reason().contains("600 s ahead of"));
        assertEquals("a clock close enough: the credentials", refused.reason(),
                S3Failure.clock(refused, "Mon, 07 Dec 2026 10:01:00 GMT", now).reason());
        assertEquals("no date, or another refusal: as it was", refused.reason(), S3Failure.clock(refused, null, now).reason());
        S3Failure noBucket = S3Failure.ofCode("NoSuchBucket", 404, BUCKET);
        assertEquals(noBucket.reason(), S3Failure.clock(noBucket, "Mon, 07 Dec 2026 11:00:00 GMT", now).reason());
    }
}
