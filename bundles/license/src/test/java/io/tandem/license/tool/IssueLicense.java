package io.tandem.license.tool;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Issues a TEST license signed by {@value TestIssuer#NAME} (test sources only; see
 * {@code scripts/issue-test-license.sh}).
 *
 * <pre>
 * IssueLicense --out FILE [--customer C] [--valid-until YYYY-MM-DD] [--license-id ID]
 *              [--feature NAME=QTY[:disabled] ...]
 * </pre>
 *
 * QTY is a number, or {@code -1} / {@code unlimited}. Without {@code --feature}: ZxHA=1000 and
 * ha_basic=1000. Defaults: customer "Tandem test", valid one year from today, id TEST-xxxxxxxx.
 * The file is replaced atomically (a running node never reads half a license).
 */
public final class IssueLicense {

    static final String USAGE = "usage: IssueLicense --out FILE [--customer C] [--valid-until YYYY-MM-DD] "
            + "[--license-id ID] [--feature NAME=QTY[:disabled] ...]";

    private IssueLicense() {
    }

    public static void main(String[] args) {
        try {
            System.out.println(run(args, LocalDate.now()));
        } catch (IllegalArgumentException e) {
            System.err.println("IssueLicense: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
        } catch (IOException e) {
            System.err.println("IssueLicense: " + e);
            System.exit(1);
        }
    }

    /** Writes the license and returns a one-line summary; a bad argument throws IllegalArgumentException. */
    public static String run(String[] args, LocalDate today) throws IOException {
        Path out = null;
        String customer = "Tandem test";
        String validUntil = today.plusYears(1).toString();
        String licenseId = "TEST-" + UUID.randomUUID().toString().substring(0, 8);
        List<String> features = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(option.startsWith("--") ? option + " needs a value" : "unexpected '" + option + "'");
            }
            String value = args[++i];
            switch (option) {
                case "--out" -> out = Path.of(value);
                case "--customer" -> customer = value.strip();
                case "--valid-until" -> validUntil = date(value);
                case "--license-id" -> licenseId = value.strip();
                case "--feature" -> features.add(value);
                default -> throw new IllegalArgumentException("unknown option '" + option + "'");
            }
        }
        if (out == null) {
            throw new IllegalArgumentException("--out FILE is required");
        }
        if (features.isEmpty()) {
            features = List.of("ZxHA=1000", "ha_basic=1000");
        }
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("licenseId", licenseId);
        fields.put("customer", customer);
        fields.put("issuer", TestIssuer.NAME);
        fields.put("validUntil", validUntil);
        for (String spec : features) {
            feature(fields, spec);
        }
        String text = "# Tandem TEST license (issuer " + TestIssuer.NAME + "): not for production.\n"
                + "# Lines starting with # are not signed; changing any other line breaks the signature.\n"
                + TestIssuer.license(fields);
        write(out, text);
        StringBuilder summary = new StringBuilder("Wrote TEST license ").append(licenseId).append(" for ").append(customer)
                .append(" (issuer ").append(TestIssuer.NAME).append(", valid until ").append(validUntil).append(")");
        features.forEach(f -> summary.append(' ').append(f));
        return summary.append(" to ").append(out.toAbsolutePath()).toString();
    }

    private static String date(String value) {
        try {
            return LocalDate.parse(value.strip()).toString();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("--valid-until '" + value + "' is not a date (YYYY-MM-DD)");
        }
    }

    private static void feature(Map<String, String> fields, String spec) {
        int eq = spec.indexOf('=');
        String name = eq < 0 ? "" : spec.substring(0, eq).strip();
        String qty = eq < 0 ? "" : spec.substring(eq + 1).strip();
        boolean enabled = true;
        if (qty.endsWith(":disabled")) {
            enabled = false;
            qty = qty.substring(0, qty.length() - ":disabled".length());
        }
        if (!name.matches("[A-Za-z0-9_-]+")) {
            throw new IllegalArgumentException("--feature '" + spec + "': expected NAME=QTY[:disabled], NAME of letters, digits, '_', '-'");
        }
        long quantity;
        try {
            quantity = qty.equals("unlimited") ? -1 : Long.parseLong(qty);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--feature '" + spec + "': quantity '" + qty + "' is not a number (-1 or unlimited: no limit)");
        }
        if (quantity < -1) {
            throw new IllegalArgumentException("--feature '" + spec + "': quantity must be >= -1");
        }
        if (fields.containsKey("feature." + name + ".quantity")) {
            throw new IllegalArgumentException("--feature " + name + " given twice");
        }
        fields.put("feature." + name + ".quantity", String.valueOf(quantity));
        fields.put("feature." + name + ".enabled", String.valueOf(enabled));
    }

    private static void write(Path out, String text) throws IOException {
        Path dir = out.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".tandem-license", ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            try { // a license is not secret: readable like the other files of etc/
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: keep the default permissions
            }
            try {
                Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
