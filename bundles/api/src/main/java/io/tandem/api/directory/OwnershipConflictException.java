package io.tandem.api.directory;

/**
 * A compare-and-set of an account's owner failed: the account is no longer owned by the expected
 * host under the expected epoch (someone else changed it first). Nothing was changed.
 */
public class OwnershipConflictException extends Exception {

    private static final long serialVersionUID = 1L;
    private final transient Account current;

    public OwnershipConflictException(String message, Account current) {
        super(message);
        this.current = current;
    }

    /** The account as it is now in the directory. */
    public Account current() {
        return current;
    }
}
