package io.tandem.api.blob;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The value rules of buckets and volumes, shared by every {@link VolumeAdminService} implementation
 * and the shell commands. Each method returns the normalised value or throws
 * {@link IllegalArgumentException} naming the field and the bad value (a secret key is never echoed,
 * an access key only masked).
 */
public final class VolumeRules {

    private static final Pattern PROVIDER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9 ._-]{0,31}");
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern IPV4 = Pattern.compile("\\d+\\.\\d+\\.\\d+\\.\\d+");
    private static final Pattern REGION = Pattern.compile("[a-z0-9][a-z0-9-]{0,31}");
    private static final Pattern KEY = Pattern.compile("\\S{1,128}");
    private static final Pattern VOLUME_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]+");

    /** Longest S3 key prefix accepted (S3 keys are at most 1024 bytes; the blob part takes 70). */
    public static final int MAX_PREFIX = 512;

    private VolumeRules() {
    }

    /** A short label: letters, digits, blank, {@code . _ -}, up to 32 characters. */
    public static String provider(String provider) {
        String p = provider == null ? "" : provider.trim();
        if (!PROVIDER.matcher(p).matches()) {
            throw new IllegalArgumentException("provider '" + provider
                    + "' must be 1-32 letters, digits, blanks, '.', '_' or '-' (e.g. MinIO, S3, Ceph)");
        }
        return p;
    }

    /**
     * {@code http(s)://host[:port]}, without user info, path (a single {@code /} is dropped), query or
     * fragment. Returned without a trailing slash, scheme in lower case.
     */
    public static String endpoint(String endpoint) {
        if (endpoint == null || endpoint.isBlank()) {
            throw new IllegalArgumentException("endpoint must not be empty (expected http(s)://host[:port])");
        }
        URI uri;
        try {
            uri = new URI(endpoint.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "' is not a URI (expected http(s)://host[:port]): " + e.getReason());
        }
        if (uri.getRawUserInfo() != null) {
            // never echo it: it may hold credentials
            throw new IllegalArgumentException("endpoint must not contain user info (give the keys as their own arguments)");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "' must start with http:// or https://");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "' has no host (expected http(s)://host[:port])");
        }
        String path = uri.getRawPath();
        if ((path != null && !path.isEmpty() && !path.equals("/")) || uri.getRawQuery() != null
                || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("endpoint '" + endpoint
                    + "' must not have a path, query or fragment (expected http(s)://host[:port])");
        }
        if (uri.getPort() == 0 || uri.getPort() > 65535) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "' has port " + uri.getPort()
                    + " out of range 1..65535");
        }
        return scheme + "://" + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
    }

    /** An S3 bucket name: 3-63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit. */
    public static String bucketName(String bucket) {
        if (bucket == null || !BUCKET.matcher(bucket).matches() || bucket.contains("..")
                || IPV4.matcher(bucket).matches()) {
            throw new IllegalArgumentException("bucket name '" + bucket + "' is not a valid S3 bucket name "
                    + "(3-63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit)");
        }
        return bucket;
    }

    /** Empty (or {@code null}, or blank) for "ask the endpoint", else e.g. {@code us-east-1}. */
    public static String region(String region) {
        if (region == null || region.isBlank()) {
            return "";
        }
        if (!REGION.matcher(region.trim()).matches()) {
            throw new IllegalArgumentException("region '" + region + "' must be lower-case letters, digits and '-' (e.g. us-east-1)");
        }
        return region.trim();
    }

    /** 1-128 characters, no blank; the message shows the key masked. */
    public static String accessKey(String accessKey) {
        if (accessKey == null || !KEY.matcher(accessKey).matches()) {
            throw new IllegalArgumentException("access key '" + BucketConfig.mask(accessKey)
                    + "' must be 1-128 characters without blanks");
        }
        return accessKey;
    }

    /** 1-128 characters, no blank; the message never shows it. */
    public static String secretKey(String secretKey) {
        if (secretKey == null || !KEY.matcher(secretKey).matches()) {
            throw new IllegalArgumentException("secret key must be 1-128 characters without blanks");
        }
        return secretKey;
    }

    /** 1-64 letters, digits, '.', '_', '-', starting with a letter or digit. */
    public static String volumeName(String name) {
        if (name == null || !VOLUME_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("volume name '" + name
                    + "' must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        return name;
    }

    /**
     * An S3 key prefix: one or more segments of letters, digits, '.', '_', '-' separated by '/',
     * no empty, {@code .} or {@code ..} segment, no leading or trailing '/'.
     */
    public static String s3Path(String path) {
        if (path == null || path.isEmpty() || path.length() > MAX_PREFIX) {
            throw new IllegalArgumentException("S3 path '" + path + "' must be 1-" + MAX_PREFIX
                    + " characters (a key prefix such as mailstore/blobs)");
        }
        for (String segment : path.split("/", -1)) {
            if (!SEGMENT.matcher(segment).matches() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("S3 path '" + path + "' must be segments of letters, digits, "
                        + "'.', '_' or '-' separated by single '/', without leading or trailing '/', '.' or '..'");
            }
        }
        return path;
    }

    /**
     * A local root directory: absolute, or relative to the blob service's local root; no {@code ..}
     * segment, no control character. Returned without a trailing '/'.
     */
    public static String localPath(String path) {
        if (path == null || path.isBlank()) {
            throw new IllegalArgumentException("local path must not be empty (a directory such as /var/lib/tandem/blobs)");
        }
        if (path.chars().anyMatch(c -> c < 0x20)) {
            throw new IllegalArgumentException("local path '" + path.replaceAll("\\p{Cntrl}", "?") + "' contains a control character");
        }
        for (String segment : path.split("[/\\\\]")) {
            if (segment.equals("..")) {
                throw new IllegalArgumentException("local path '" + path + "' must not contain '..'");
            }
        }
        String p = path;
        while (p.length() > 1 && p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }

    /** The path rule of the volume type. */
    public static String path(Volume.Type type, String path) {
        return type == Volume.Type.S3 ? s3Path(path) : localPath(path);
    }

    /** {@code primary} or {@code secondary}, in any case. */
    public static Volume.Kind kind(String kind) {
        return parse(Volume.Kind.class, kind, "volume kind");
    }

    /** {@code s3} or {@code local}, in any case. */
    public static Volume.Type type(String type) {
        return parse(Volume.Type.class, type, "volume type");
    }

    private static <E extends Enum<E>> E parse(Class<E> type, String text, String what) {
        if (text != null) {
            for (E e : type.getEnumConstants()) {
                if (e.name().equalsIgnoreCase(text.trim())) {
                    return e;
                }
            }
        }
        throw new IllegalArgumentException("unknown " + what + " '" + text + "' (expected "
                + Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(" or ")) + ")");
    }
}
