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
    private Throwable abort;

    /** The client's side of the connection failed, stalled past the idle time-out or went away. */
    static final class ConnectionFailed extends IOException {
        ConnectionFailed(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** A client-side failure as {@link ConnectionFailed}. */
    private interface Io<T> {
        T run() throws IOException;
    }

    private static <T> T client(Io<T> io) throws ConnectionFailed {
        try {
            return io.run();
        } catch (ConnectionFailed e) {
            throw e;
        } catch (IOException e) {
            throw new ConnectionFailed(e);
        }
    }

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

    /** The request's body; a failure to read it is a {@link ConnectionFailed}. */
    InputStream requestBody() {
        InputStream in = Content.Source.asInputStream(request);
        return new InputStream() {
            @Override
            public int read() throws IOException {
                return client(in::read);
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return client(() -> in.read(b, off, len));
            }

            @Override
            public void close() throws IOException {
                client(() -> {
                    in.close();
                    return null;
                });
            }
        };
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
                client(() -> {
                    body.write(b);
                    return null;
                });
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                client(() -> {
                    body.write(b, off, len);
                    return null;
                });
            }

            @Override
            public void flush() throws IOException {
                client(() -> {
                    body.flush();
                    return null;
                });
            }

            @Override
            public void close() throws IOException {
                client(() -> {
                    body.close(); // the last write
                    return null;
                });
                complete = true;
            }
        };
    }

    /** The connection failed: {@link #close()} closes it without an answer (or the rest of one). */
    void abort(Throwable cause) {
        abort = cause;
    }

    /**
     * Ends the exchange. A connection whose answer was not sent whole is closed, never reused, and without an error
     * page of Jetty's (Jetty answers a failure with a 500 and a warning, which a client that stalled did not cause).
     */
    @Override
    public void close() {
        if (complete) {
            callback.succeeded();
        } else {
            callback.failed(new Request.Handler.AbortException((started ? "the answer to " : "no answer to ") + describe()
                    + " was not sent whole", abort));
        }
    }
}
