package io.tandem.blob.s3.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Content addressing: a blob's key is {@code <prefix>/<aa>/<bb>/<sha256>}, where {@code aa} and
 * {@code bb} are the first two bytes of the SHA-256 in hex (256 x 256 fan-out, so no directory or
 * listing page grows without bound). LOCAL volumes have no prefix: {@code <aa>/<bb>/<sha256>}
 * under their root directory.
 */
final class BlobKeys {

    private BlobKeys() {
    }

    static String key(String prefix, String sha256) {
        if (sha256.length() != 64) {
            throw new IllegalArgumentException("sha256 '" + sha256 + "' is not 64 hex digits");
        }
        String relative = sha256.substring(0, 2) + "/" + sha256.substring(2, 4) + "/" + sha256;
        return prefix == null || prefix.isEmpty() ? relative : prefix + "/" + relative;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }
}
