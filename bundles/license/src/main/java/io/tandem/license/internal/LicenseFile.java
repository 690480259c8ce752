package io.tandem.license.internal;

import io.tandem.api.license.LicenseService.Feature;
import io.tandem.api.license.LicenseService.LicenseInfo;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A license file as read and verified. Everything but the expiry is decided when the file is read;
 * the expiry is applied at each {@link #at(LocalDate)} (a cached license expires at midnight).
 *
 * <p>Checks, in order: the file exists and is UTF-8; every line is {@code key = value}; a
 * signature line; a trusted issuer; the signature over the canonical form; then the signed fields
 * (required fields, no field this version does not know, dates and quantities).
 */
final class LicenseFile {

    static final String LICENSE_ID = "licenseId";
    static final String CUSTOMER = "customer";
    static final String ISSUER = "issuer";
    static final String VALID_UNTIL = "validUntil";
    private static final List<String> REQUIRED = List.of(LICENSE_ID, CUSTOMER, ISSUER, VALID_UNTIL);
    private static final Pattern FEATURE = Pattern.compile("feature\\.([A-Za-z0-9_-]+)\\.(quantity|enabled)");

    private final String problem;
    private final String licenseId;
    private final String customer;
    private final String issuer;
    private final String validUntilText;
    private final LocalDate validUntil;
    private final List<Feature> features;

    private LicenseFile(String problem, Map<String, String> fields, LocalDate validUntil, List<Feature> features) {
        this.problem = problem;
        this.licenseId = fields.get(LICENSE_ID);
        this.customer = fields.get(CUSTOMER);
        this.issuer = fields.get(ISSUER);
        this.validUntilText = fields.get(VALID_UNTIL);
        this.validUntil = validUntil;
        this.features = List.copyOf(features);
    }

    private static LicenseFile invalid(String problem) {
        return new LicenseFile(problem, Map.of(), null, List.of());
    }

    /** Why the file cannot be used whatever the date; {@code null} when it was verified. */
    String problem() {
        return problem;
    }

    /** The license as of {@code today}: valid through its {@code validUntil} day included. */
    LicenseInfo at(LocalDate today) {
        String reason = problem;
        if (reason == null && today.isAfter(validUntil)) {
            reason = "license " + licenseId + " expired: valid until " + validUntil;
        }
        return new LicenseInfo(reason == null, reason, licenseId, customer, issuer, validUntilText, features);
    }

    static LicenseFile read(Path file, TrustedIssuers issuers) {
        String text;
        try {
            if (Files.isDirectory(file)) {
                return invalid("license file " + file + " is a directory");
            }
            text = LicenseFormat.decode(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return invalid("no license installed: " + file + " does not exist");
        } catch (CharacterCodingException e) {
            return invalid("license file " + file + " is not UTF-8 text");
        } catch (IOException e) {
            return invalid("license file " + file + " cannot be read: " + e);
        }
        return parse(file, text, issuers);
    }

    static LicenseFile parse(Path file, String text, TrustedIssuers issuers) {
        LicenseFormat.Parsed parsed;
        try {
            parsed = LicenseFormat.parse(text);
        } catch (LicenseFormat.FormatException e) {
            return invalid("license file " + file + " " + e.getMessage());
        }
        Map<String, String> fields = parsed.fields();
        if (parsed.signature() == null || parsed.signature().isEmpty()) {
            return new LicenseFile("license file " + file + " has no signature line", fields, null, List.of());
        }
        String issuer = fields.get(ISSUER);
        if (issuer == null || issuer.isEmpty()) {
            return new LicenseFile("license file " + file + " names no issuer", fields, null, List.of());
        }
        if (issuers.key(issuer).isEmpty()) {
            return new LicenseFile("license issuer '" + issuer + "' is not trusted (trusted issuers: "
                    + String.join(", ", issuers.names()) + ")", fields, null, List.of());
        }
        byte[] signature;
        try {
            signature = Base64.getDecoder().decode(parsed.signature());
        } catch (IllegalArgumentException e) {
            return new LicenseFile("license file " + file + " line " + parsed.signatureLine()
                    + ": signature is not base64", fields, null, List.of());
        }
        if (!issuers.verify(issuer, LicenseFormat.canonical(fields), signature)) {
            return new LicenseFile("license signature does not verify", fields, null, List.of());
        }
        // signed by a trusted issuer from here: what is wrong now is the issuer's mistake, still refused
        String problem = null;
        for (String key : REQUIRED) {
            if (fields.getOrDefault(key, "").isEmpty()) {
                problem = "license field " + key + " is missing";
                break;
            }
        }
        LocalDate validUntil = null;
        if (problem == null) {
            try {
                validUntil = LocalDate.parse(fields.get(VALID_UNTIL));
            } catch (DateTimeParseException e) {
                problem = "license field " + VALID_UNTIL + " = '" + fields.get(VALID_UNTIL)
                        + "' is not a date (YYYY-MM-DD)";
            }
        }
        Map<String, Long> quantities = new TreeMap<>();
        Map<String, Boolean> enabled = new TreeMap<>();
        for (Map.Entry<String, String> e : fields.entrySet()) {
            if (problem != null) {
                break;
            }
            String key = e.getKey();
            String value = e.getValue();
            if (REQUIRED.contains(key)) {
                continue;
            }
            Matcher m = FEATURE.matcher(key);
            if (!m.matches()) {
                problem = "license field " + key + " (line " + parsed.lines().get(key)
                        + ") is not known to this version";
            } else if (m.group(2).equals("quantity")) {
                try {
                    long q = Long.parseLong(value);
                    if (q < -1) {
                        throw new NumberFormatException();
                    }
                    quantities.put(m.group(1), q);
                } catch (NumberFormatException x) {
                    problem = "license field " + key + " = '" + value + "' is not a quantity (a number >= 0, -1 for unlimited)";
                }
            } else if (value.equals("true") || value.equals("false")) {
                enabled.put(m.group(1), Boolean.parseBoolean(value));
            } else {
                problem = "license field " + key + " = '" + value + "' is not true or false";
            }
        }
        List<Feature> features = new ArrayList<>();
        Set<String> names = new TreeSet<>(quantities.keySet());
        names.addAll(enabled.keySet());
        for (String name : names) {
            if (problem != null) {
                break;
            }
            if (!quantities.containsKey(name)) {
                problem = "license feature " + name + " has no feature." + name + ".quantity";
            } else if (!enabled.containsKey(name)) {
                problem = "license feature " + name + " has no feature." + name + ".enabled";
            } else {
                features.add(new Feature(name, quantities.get(name), enabled.get(name)));
            }
        }
        return new LicenseFile(problem, fields, validUntil, problem == null ? features : List.of());
    }
}
