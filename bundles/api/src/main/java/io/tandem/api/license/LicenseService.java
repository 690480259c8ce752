package io.tandem.api.license;

import java.util.List;
import java.util.Optional;

/** The installed license, verified against the trusted issuer keys. */
public interface LicenseService {

    /** The license as read and verified now (the file is re-read when it changes). */
    LicenseInfo info();

    /**
     * Reserves {@code count} more units of {@code feature} (e.g. {@code ha_basic}, one per replicated
     * account) given that {@code inUse} are used already.
     *
     * @return empty when allowed; otherwise why not (no license, invalid signature, expired, feature not
     *         licensed, quantity exhausted: "ha_basic: 12 in use + 3 requested > 10 licensed")
     */
    Optional<String> refusal(String feature, int inUse, int count);

    /** What {@link #info()} shows. */
    record LicenseInfo(boolean valid, String reason, String licenseId, String customer, String issuer,
                       String validUntil, List<Feature> features) {

        public LicenseInfo {
            features = List.copyOf(features);
        }

        public Optional<Feature> feature(String name) {
            return features.stream().filter(f -> f.name().equals(name)).findFirst();
        }
    }

    /**
     * A licensed feature: {@code ZxHA} (the HA module) and {@code ha_basic} (replicated accounts).
     *
     * @param quantity how many units are licensed (-1: unlimited)
     * @param enabled  whether the feature is on in the license
     */
    record Feature(String name, long quantity, boolean enabled) {
    }
}
