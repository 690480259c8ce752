package io.tandem.api.directory;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Status of an account, as operators set it. */
public enum AccountStatus {
    ACTIVE, LOCKED, MAINTENANCE, CLOSED;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException naming the bad value and the valid ones */
    public static AccountStatus parse(String value) {
        for (AccountStatus s : values()) {
            if (s.id().equalsIgnoreCase(value == null ? "" : value.trim())) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown account status '" + value + "' (valid: "
                + Arrays.stream(values()).map(AccountStatus::id).collect(Collectors.joining(", ")) + ")");
    }
}
