package io.tandem.blob.s3.internal;

import io.minio.errors.ErrorResponseException;
import io.minio.errors.InsufficientDataException;
import io.minio.errors.InvalidResponseException;
import io.minio.errors.ServerException;
import io.minio.errors.XmlParserException;
import io.tandem.api.blob.BucketConfig;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLException;

/**
 * What went wrong talking to S3, in words an operator can act on, and whether trying again later may
 * help. Built from the MinIO or JDK exception, never from its message text alone: MinIO exceptions
 * carry an HTTP trace (with the Authorization header), so they never leave this bundle and are never
 * chained; only JDK exceptions are kept as causes.
 *
 * @param reason    e.g. {@code connection refused by 127.0.0.1:9000}, {@code access denied (wrong credentials: ...)}
 * @param temporary unreachable, timeout, server busy or failing (5xx)
 * @param missing   the object does not exist ({@code NoSuchKey})
 * @param cause     the JDK exception behind it, or {@code null}
 */
record S3Failure(String reason, boolean temporary, boolean missing, Throwable cause) {

    private static final Set<String> BUSY = Set.of("SlowDown", "ServiceUnavailable", "InternalError",
            "RequestTimeout", "OperationAborted", "XMinioServerNotInitialized");

    static S3Failure of(Throwable thrown, BucketConfig bucket) {
        Throwable e = unwrap(thrown);
        String hostPort = hostPort(bucket.endpoint());
        if (e instanceof ErrorResponseException ere) {
            S3Failure byCode = ofCode(ere.errorResponse() == null ? null : ere.errorResponse().code(),
                    ere.response() == null ? 0 : ere.response().code(), bucket);
            return ere.response() == null ? byCode : clock(byCode, ere.response().header("Date"), java.time.Instant.now());
        }
        if (e instanceof ServerException se) {
            return new S3Failure("S3 server error (HTTP " + se.statusCode() + ") from " + hostPort, true, false, null);
        }
        if (e instanceof InvalidResponseException) {
            return new S3Failure("unexpected response from " + hostPort + " (not an S3 endpoint?)", false, false, null);
        }
        if (e instanceof XmlParserException) {
            return new S3Failure("unreadable S3 response from " + hostPort, false, false, null);
        }
        if (e instanceof InsufficientDataException) {
            return new S3Failure("upload stream ended early", true, false, null);
        }
        if (e instanceof UnknownHostException) {
            return new S3Failure("unknown host " + host(bucket.endpoint()), true, false, e);
        }
        if (e instanceof ConnectException) {
            String m = e.getMessage() == null ? "" : e.getMessage();
            return new S3Failure((m.toLowerCase(java.util.Locale.ROOT).contains("timed out") ? "connect timeout to "
                    : "connection refused by ") + hostPort, true, false, e);
        }
        if (e instanceof NoRouteToHostException) {
            return new S3Failure("no route to host " + hostPort, true, false, e);
        }
        if (e instanceof SocketTimeoutException || e instanceof InterruptedIOException) {
            return new S3Failure("timeout talking to " + hostPort, true, false, e);
        }
        if (e instanceof SSLException) {
            return new S3Failure("TLS failure with " + hostPort + ": " + e.getMessage(), false, false, e);
        }
        if (e instanceof IOException) {
            // okhttp's own IOExceptions (stream reset ...) are not JDK types: keep their words only
            boolean jdk = e.getClass().getName().startsWith("java.");
            return new S3Failure("I/O error with " + hostPort + ": " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()), true, false, jdk ? e : null);
        }
        return new S3Failure("unexpected " + e.getClass().getSimpleName() + " with " + hostPort, false, false, null);
    }

    static S3Failure ofCode(String code, int status, BucketConfig bucket) {
        String c = code == null ? "" : code;
        switch (c) {
            case "SignatureDoesNotMatch":
                return new S3Failure("access denied (wrong credentials: the secret key does not match the access key "
                        + bucket.maskedAccessKey() + ")", false, false, null);
            case "InvalidAccessKeyId":
                return new S3Failure("access denied (wrong credentials: unknown access key " + bucket.maskedAccessKey()
                        + ")", false, false, null);
            case "AccessDenied":
            case "InvalidSecurity":
            case "ExpiredToken":
            case "InvalidToken":
                return new S3Failure("access denied (wrong credentials, or no permission on bucket '"
                        + bucket.bucket() + "')", false, false, null);
            case "NoSuchBucket":
                return new S3Failure("no such bucket '" + bucket.bucket() + "' on " + bucket.endpoint(), false, false, null);
            case "NoSuchKey":
            case "NoSuchObject":
                return new S3Failure("no such object", false, true, null);
            case "AuthorizationHeaderMalformed":
                return new S3Failure("request refused: wrong region '" + bucket.region() + "' for bucket '"
                        + bucket.bucket() + "' (" + c + ")", false, false, null);
            case "RequestTimeTooSkewed":
                return new S3Failure("request refused: this node's clock differs too much from the server's", false, false, null);
            default:
                boolean busy = BUSY.contains(c) || status >= 500;
                return new S3Failure("S3 error " + (c.isEmpty() ? "" : c + " ") + "(HTTP " + status + ")", busy, false, null);
        }
    }

    /** A clock this far from the server's makes S3 refuse signatures (AWS allows 15 minutes; some servers less). */
    static final java.time.Duration SKEW = java.time.Duration.ofMinutes(5);

    /**
     * A refusal of the request's signature or credentials from a server whose clock ({@code serverDate}, its
     * {@code Date} header) is {@link #SKEW} or more away from this node's ({@code now}) names the clock: the
     * credentials are most likely right, and changing them would not help.
     */
    static S3Failure clock(S3Failure byCode, String serverDate, java.time.Instant now) {
        if (serverDate == null || !byCode.reason().startsWith("access denied") && !byCode.reason().contains("clock")) {
            return byCode;
        }
        java.time.Instant server;
        try {
            server = java.time.ZonedDateTime.parse(serverDate, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (java.time.format.DateTimeParseException e) {
            return byCode;
        }
        long skew = java.time.Duration.between(server, now).getSeconds();
        if (Math.abs(skew) < SKEW.getSeconds()) {
            return byCode;
        }
        return new S3Failure("request refused: this node's clock is " + Math.abs(skew) + " s " + (skew > 0 ? "ahead of" : "behind")
                + " the S3 server's (" + serverDate + "), and S3 refuses signatures made with a clock that far off: "
                + "fix the node's time (NTP), not the credentials", false, false, null);
    }

    private static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while ((t instanceof ExecutionException || t instanceof CompletionException
                || (t instanceof RuntimeException && t.getClass() == RuntimeException.class))
                && t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    static String host(String endpoint) {
        return URI.create(endpoint).getHost();
    }

    static String hostPort(String endpoint) {
        URI uri = URI.create(endpoint);
        int port = uri.getPort() > 0 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
        return uri.getHost() + ":" + port;
    }
}
