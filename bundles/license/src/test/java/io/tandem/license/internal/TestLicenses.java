package io.tandem.license.internal;

import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;

/** The fields of a typical license, for the tests to sign as is or change. */
final class TestLicenses {

    static final LocalDate TODAY = LocalDate.of(2026, 3, 15);
    static final String VALID_UNTIL = "2026-12-31";

    private TestLicenses() {
    }

    static Map<String, String> fields() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("licenseId", "L-2026-0042");
        f.put("customer", "Example Mail Ltd");
        f.put("issuer", "tandem-test");
        f.put("validUntil", VALID_UNTIL);
        f.put("feature.ZxHA.quantity", "1000");
        f.put("feature.ZxHA.enabled", "true");
        f.put("feature.ha_basic.quantity", "10");
        f.put("feature.ha_basic.enabled", "true");
        return f;
    }

    static Map<String, String> with(String key, String value) {
        Map<String, String> f = fields();
        if (value == null) {
            f.remove(key);
        } else {
            f.put(key, value);
        }
        return f;
    }
}
