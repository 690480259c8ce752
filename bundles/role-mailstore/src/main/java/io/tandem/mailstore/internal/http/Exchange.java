package io.tandem.mailstore.internal.http;

import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * One request and its answer, as {@link MailboxApi} sees them: blocking streams over Jetty's request and
 * response. {@link #close()} completes the exchange (Jetty's callback), failing it when the answer was not
 * sent whole.
 */
final class Exchange implements AutoCloseable {

    private final Request request;
    private final Response response;
    private final Callback callback;
    private OutputStream body;
    private boolean started;
    private boolean complete;

    Exchange(Request request, Response response, Callback callback) {
        this.request = request;
        this.response = response;
        this.callback = callback;
    }

    String method() {
        return request.getMethod();
    }

    /** The path as sent, percent-encoding kept. */
    String rawPath() {
        return request.getHttpURI().getPath();
    }

    /** The query as sent, or null. */
    String rawQuery() {
        return request.getHttpURI().getQuery();
    }

    /** Method and path, for logs. */
    String describe() {
        return request.getMethod() + " " + request.getHttpURI().getPathQuery();
    }

    String requestHeader(String name) {
        return request.getHeaders().get(name);
    }

    InputStream requestBody() {
        return Content.Source.asInputStream(request);
    }

    void header(String name, String value) {
        response.getHeaders().put(name, value);
    }

    /** Whether the status line went out (nothing else can be answered then). */
    boolean started() {
        return started;
    }

    /**
     * Sends the status and headers; the answer's body, of exactly {@code length} bytes, goes to the stream returned
     * (closing it ends the answer). A length of 0 sends no body.
     */
    OutputStream respond(int status, long length) {
        started = true;
        response.setStatus(status);
        response.getHeaders().put("Content-Length", length);
        body = Content.Sink.asOutputStream(response);
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                body.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                body.write(b, off, len);
            }

            @Override
            public void flush() throws IOException {
                body.flush();
            }

            @Override
            public void close() throws IOException {
                body.close(); // the last write
                complete = true;
            }
        };
    }

    /** Ends the exchange: a connection whose answer was not sent whole is closed, never reused. */
    @Override
    public void close() {
        if (complete) {
            callback.succeeded();
        } else {
            callback.failed(new IOException((started ? "the answer to " : "no answer to ") + describe() + " was not sent whole"));
        }
    }
}
