package io.tandem.mailstore.internal.lmtp;

/** One LMTP reply: basic code, enhanced status code (RFC 3463) and text. */
public record Reply(int code, String enhanced, String text) {

    public static Reply ok(String enhanced, String text) {
        return new Reply(250, enhanced, text);
    }

    /** 4xx: the client keeps the message and retries later. */
    public static Reply temporary(String enhanced, String text) {
        return new Reply(451, enhanced, text);
    }

    /** 5xx: the client bounces the message for this recipient. */
    public static Reply permanent(int code, String enhanced, String text) {
        return new Reply(code, enhanced, text);
    }

    public boolean positive() {
        return code / 100 == 2;
    }

    String line() {
        return code + " " + enhanced + " " + text.replace('\r', ' ').replace('\n', ' ');
    }
}
