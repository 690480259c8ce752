package io.tandem.mailstore.internal.http;

import java.util.LinkedHashMap;
import java.util.Map;

/** An error answer of the mailbox API: status, message, and extra headers and body fields. */
final class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final Map<String, Object> fields = new LinkedHashMap<>();

    ApiException(int status, String message) {
        super(message);
        this.status = status;
    }

    ApiException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    static ApiException badRequest(String message) {
        return new ApiException(400, message);
    }

    /** 503 with {@code Retry-After: 5}: the client should try again. */
    static ApiException unavailable(String message) {
        return new ApiException(503, message).header("Retry-After", "5");
    }

    ApiException header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    ApiException field(String name, Object value) {
        fields.put(name, value);
        return this;
    }

    int status() {
        return status;
    }

    Map<String, String> headers() {
        return headers;
    }

    /** The JSON body: {@code error} first, then the extra fields. */
    Map<String, Object> body() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", getMessage());
        body.putAll(fields);
        return body;
    }
}
