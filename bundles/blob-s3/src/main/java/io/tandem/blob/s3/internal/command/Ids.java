package io.tandem.blob.s3.internal.command;

import java.util.UUID;

/** The id arguments of the bucket and volume commands. */
final class Ids {

    private Ids() {
    }

    /** Parses an id argument: {@code what} names it in the error ("bucket id"). */
    static UUID parse(String what, String text) {
        try {
            return UUID.fromString(text == null ? "" : text.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not a " + what
                    + " (a UUID such as 0b6c6d5e-8a55-4d0a-9e4b-6d1b8c1e2f3a)");
        }
    }
}
