package io.tandem.blob.s3.internal;

import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * Content read once to learn its SHA-256 and size before it is uploaded (the key depends on the
 * digest): kept in memory up to a limit, else in a temporary file, deleted on {@link #close()}.
 */
final class Spool implements Closeable {

    private final String sha256;
    private final long size;
    private final byte[] bytes;
    private final Path file;

    private Spool(String sha256, long size, byte[] bytes, Path file) {
        this.sha256 = sha256;
        this.size = size;
        this.bytes = bytes;
        this.file = file;
    }

    /** Reads {@code data} to its end (without closing it). */
    static Spool of(InputStream data, int memoryLimit, Path dir) throws IOException {
        MessageDigest digest = BlobKeys.sha256();
        byte[] buffer = new byte[Math.max(memoryLimit, 0) + 1];
        int filled = 0;
        while (filled < buffer.length) {
            int n = data.read(buffer, filled, buffer.length - filled);
            if (n == -1) {
                digest.update(buffer, 0, filled);
                return new Spool(BlobKeys.hex(digest.digest()), filled, Arrays.copyOf(buffer, filled), null);
            }
            filled += n;
        }
        Files.createDirectories(dir);
        Path file = Files.createTempFile(dir, "spool-", ".tmp");
        try (OutputStream out = Files.newOutputStream(file)) {
            digest.update(buffer, 0, filled);
            out.write(buffer, 0, filled);
            long size = filled;
            byte[] chunk = new byte[64 * 1024];
            for (int n; (n = data.read(chunk)) != -1; ) {
                digest.update(chunk, 0, n);
                out.write(chunk, 0, n);
                size += n;
            }
            return new Spool(BlobKeys.hex(digest.digest()), size, null, file);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
    }

    String sha256() {
        return sha256;
    }

    long size() {
        return size;
    }

    boolean inMemory() {
        return file == null;
    }

    InputStream open() throws IOException {
        return file == null ? new ByteArrayInputStream(bytes) : Files.newInputStream(file);
    }

    @Override
    public void close() throws IOException {
        if (file != null) {
            Files.deleteIfExists(file);
        }
    }
}
