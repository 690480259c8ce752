package io.tandem.blob.s3.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Reads a blob and checks it against its reference: reading more bytes than the expected size, or
 * reaching the end with another size or another SHA-256, fails with an {@link IOException} naming
 * the key (and every later read fails the same way). Closing before the end checks nothing.
 */
final class VerifyingInputStream extends FilterInputStream {

    private final String key;
    private final String sha256;
    private final long size;
    private final MessageDigest digest = BlobKeys.sha256();
    private long count;
    private boolean ended;
    private IOException failure;

    VerifyingInputStream(InputStream in, String key, String sha256, long size) {
        super(in);
        this.key = key;
        this.sha256 = sha256;
        this.size = size;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n == -1 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (failure != null) {
            throw failure;
        }
        if (len == 0) {
            return 0;
        }
        int n = in.read(b, off, len);
        if (n == -1) {
            end();
            return -1;
        }
        digest.update(b, off, n);
        count += n;
        if (count > size) {
            throw fail("blob " + key + " is corrupt: more than the expected " + size + " bytes");
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        // read instead of skipping, so the digest covers every byte
        byte[] buffer = new byte[8192];
        long skipped = 0;
        while (skipped < n) {
            int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
            if (r == -1) {
                break;
            }
            skipped += r;
        }
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public synchronized void mark(int readlimit) {
        // not supported
    }

    @Override
    public synchronized void reset() throws IOException {
        throw new IOException("mark/reset not supported");
    }

    private void end() throws IOException {
        if (ended) {
            return;
        }
        ended = true;
        if (count != size) {
            throw fail("blob " + key + " is corrupt: " + count + " bytes, expected " + size);
        }
        String actual = BlobKeys.hex(digest.digest());
        if (!actual.equals(sha256)) {
            throw fail("blob " + key + " is corrupt: sha256 " + actual + ", expected " + sha256);
        }
    }

    private IOException fail(String message) {
        failure = new IOException(message);
        return failure;
    }
}
