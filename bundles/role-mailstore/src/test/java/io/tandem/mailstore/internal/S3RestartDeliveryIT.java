package io.tandem.mailstore.internal;

import io.tandem.api.blob.BucketConfig;
import io.tandem.api.blob.Volume;
import io.tandem.api.directory.Account;
import io.tandem.api.mailbox.Folder;
import io.tandem.api.mailbox.Message;
import io.tandem.api.test.S3ProxyFixture;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * Blobs on a real S3 server (S3Proxy) that is stopped in the middle: LMTP answers 451 and records
 * nothing; once S3 is back, the MTA's retry is stored, exactly once.
 */
public class S3RestartDeliveryIT {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private S3ProxyFixture s3;
    private MailstoreFixture parts;

    @Before
    public void start() throws Exception {
        s3 = S3ProxyFixture.start("mailstore-restart");
        s3.bucket("mail");
        parts = new MailstoreFixture(tmp);
        BucketConfig bucket = parts.directory.createBucket("MinIO", s3.endpoint, "mail", "", s3.accessKey, s3.secretKey);
        Volume volume = parts.directory.createVolume("s3-primary", Volume.Kind.PRIMARY, Volume.Type.S3, bucket.id(), "mailstore", true);
        parts.directory.setCurrent(volume.id());
    }

    @After
    public void stop() {
        if (parts != null) {
            parts.stop();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    public void s3StoppedGives451AndTheRetryAfterItIsBackIsStoredOnce() throws Exception {
        Account alice = parts.directory.account("alice@example.com").orElseThrow();
        assertEquals("RCPT alice@example.com 250\nDATA alice@example.com 250", parts.lmtpMessage("first", "alice@example.com"));

        s3.stop();
        assertEquals("RCPT alice@example.com 250\nDATA alice@example.com 451", parts.lmtpMessage("second", "alice@example.com"));
        assertEquals("nothing recorded while S3 is down", 1, parts.store.messages(alice.id(), Folder.INBOX, 0, 10).size());
        long sequence = parts.store.info(alice.id()).orElseThrow().sequence();

        s3.restart();
        assertEquals("RCPT alice@example.com 250\nDATA alice@example.com 250", parts.lmtpMessage("second", "alice@example.com")); // the MTA's retry
        List<Message> inbox = parts.store.messages(alice.id(), Folder.INBOX, 0, 10);
        assertEquals(2, inbox.size());
        assertEquals(sequence + 1, parts.store.info(alice.id()).orElseThrow().sequence());
        for (Message m : inbox) {
            try (InputStream in = parts.blobs.open(m.blob())) {
                assertTrue(new String(in.readAllBytes(), StandardCharsets.UTF_8).contains("Subject:"));
            }
        }
    }
}
