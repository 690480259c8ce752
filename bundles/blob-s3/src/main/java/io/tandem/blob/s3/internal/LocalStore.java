package io.tandem.blob.s3.internal;

import io.tandem.api.blob.BlobException;
import io.tandem.api.blob.BlobRef;
import io.tandem.api.blob.Volume;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;

/**
 * Blobs of LOCAL volumes: files {@code <root>/<aa>/<bb>/<sha256>}. A blob is written to a temporary
 * file in {@code <root>/.tmp} while it is hashed, forced to disk, then moved into place atomically
 * (and the directory entry forced too), so a crash never leaves a partial blob under its key.
 */
final class LocalStore {

    static final String TMP = ".tmp";

    private final Path defaultRoot;

    /** @param defaultRoot relative volume paths are resolved against it */
    LocalStore(Path defaultRoot) {
        this.defaultRoot = defaultRoot;
    }

    Path root(Volume volume) {
        Path p = Path.of(volume.path());
        return p.isAbsolute() ? p : defaultRoot.resolve(p);
    }

    Path file(Volume volume, String key) {
        return root(volume).resolve(key);
    }

    BlobRef put(Volume volume, InputStream data) throws BlobException {
        Path root = root(volume);
        Path tmpDir = root.resolve(TMP);
        Path tmp = null;
        try {
            Files.createDirectories(tmpDir);
            tmp = Files.createTempFile(tmpDir, "put-", ".tmp");
            MessageDigest digest = BlobKeys.sha256();
            long size = 0;
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                OutputStream out = Channels.newOutputStream(channel);
                byte[] buffer = new byte[64 * 1024];
                for (int n; (n = read(volume, data, buffer)) != -1; ) {
                    digest.update(buffer, 0, n);
                    out.write(buffer, 0, n);
                    size += n;
                }
                channel.force(true);
            }
            String sha = BlobKeys.hex(digest.digest());
            String key = BlobKeys.key("", sha);
            Path target = root.resolve(key);
            if (Files.isRegularFile(target) && Files.size(target) == size) {
                return new BlobRef(volume.id(), key, sha, size); // already there; the temp file goes in finally
            }
            Files.createDirectories(target.getParent());
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new BlobException("volume " + volume.name() + ": cannot move " + tmp + " to " + target
                        + " atomically (is " + TMP + " on another filesystem?)", false, e);
            }
            tmp = null;
            forceDirectory(target.getParent());
            return new BlobRef(volume.id(), key, sha, size);
        } catch (IOException e) {
            throw failure("put", volume, root.toString(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a stray temp file in .tmp; harmless
                }
            }
        }
    }

    /** Reads the content to store: its failure is the caller's, permanent (trying again reads nothing better). */
    private static int read(Volume volume, InputStream data, byte[] buffer) throws BlobException {
        try {
            return data.read(buffer);
        } catch (IOException e) {
            throw new BlobException("put on volume " + volume.name() + ": reading the content failed: " + e.getMessage(),
                    false, e);
        }
    }

    InputStream open(Volume volume, BlobRef ref) throws BlobException {
        Path file = file(volume, ref.key());
        try {
            return new VerifyingInputStream(Files.newInputStream(file), ref.key(), ref.sha256(), ref.size());
        } catch (NoSuchFileException e) {
            throw new BlobException("no blob " + ref.key() + " on volume " + volume.name() + " (" + file + ")", false);
        } catch (IOException e) {
            throw failure("open", volume, ref.key(), e);
        }
    }

    boolean exists(Volume volume, BlobRef ref) throws BlobException {
        Path file = file(volume, ref.key());
        try {
            // not Files.isRegularFile, which answers false for any I/O error: the storage could not tell
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            return attributes.isRegularFile() && attributes.size() == ref.size();
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw failure("stat", volume, ref.key(), e);
        }
    }

    void delete(Volume volume, BlobRef ref) throws BlobException {
        try {
            Files.deleteIfExists(file(volume, ref.key()));
        } catch (IOException e) {
            throw failure("delete", volume, ref.key(), e);
        }
    }

    private static void forceDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // some filesystems cannot sync a directory; the file itself is on disk already
        }
    }

    /** Permission problems and read-only filesystems need an operator: permanent; the rest (disk full ...) temporary. */
    static BlobException failure(String op, Volume volume, String what, IOException e) {
        boolean permanent = e instanceof AccessDeniedException
                || (e instanceof FileSystemException fse && fse.getReason() != null
                && fse.getReason().toLowerCase(java.util.Locale.ROOT).contains("read-only"));
        return new BlobException(op + " of " + what + " on volume " + volume.name() + " failed: "
                + e.getClass().getSimpleName() + ": " + e.getMessage(), !permanent, e);
    }
}
