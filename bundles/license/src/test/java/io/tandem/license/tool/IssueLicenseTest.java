package io.tandem.license.tool;

import io.tandem.license.internal.LicenseFormat;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class IssueLicenseTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private static final LocalDate TODAY = LocalDate.of(2026, 3, 15);

    private String error(String... args) {
        return assertThrows(IllegalArgumentException.class, () -> IssueLicense.run(args, TODAY)).getMessage();
    }

    @Test
    public void defaultsAndTheWrittenFields() throws Exception {
        Path out = tmp.getRoot().toPath().resolve("sub/dir/tandem.license");
        String summary = IssueLicense.run(new String[] {"--out", out.toString(), "--license-id", "T-1"}, TODAY);
        assertEquals("Wrote TEST license T-1 for Tandem test (issuer tandem-test, valid until 2027-03-15) ZxHA=1000 ha_basic=1000 to "
                + out, summary);
        LicenseFormat.Parsed p = LicenseFormat.parse(Files.readString(out));
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("licenseId", "T-1");
        expected.put("customer", "Tandem test");
        expected.put("issuer", "tandem-test");
        expected.put("validUntil", "2027-03-15");
        expected.put("feature.ZxHA.quantity", "1000");
        expected.put("feature.ZxHA.enabled", "true");
        expected.put("feature.ha_basic.quantity", "1000");
        expected.put("feature.ha_basic.enabled", "true");
        assertEquals(expected, p.fields());
        assertEquals(TestIssuer.signature(expected, TestIssuer.privateKey()), p.signature());
        assertTrue(Files.readString(out).startsWith("# Tandem TEST license (issuer tandem-test): not for production.\n"));
        assertEquals("no temporary file left", 1, Files.list(out.getParent()).count());
    }

    @Test
    public void featuresUnlimitedDisabledAndAPastDate() throws Exception {
        Path out = tmp.getRoot().toPath().resolve("l");
        IssueLicense.run(new String[] {"--out", out.toString(), "--valid-until", "2020-01-01",
                "--feature", "ZxHA=unlimited", "--feature", "ha_basic=5:disabled"}, TODAY);
        Map<String, String> f = LicenseFormat.parse(Files.readString(out)).fields();
        assertEquals("2020-01-01", f.get("validUntil"));
        assertEquals("-1", f.get("feature.ZxHA.quantity"));
        assertEquals("5", f.get("feature.ha_basic.quantity"));
        assertEquals("false", f.get("feature.ha_basic.enabled"));
    }

    @Test
    public void badArguments() {
        assertEquals("--out FILE is required", error("--customer", "C"));
        assertEquals("--out needs a value", error("--out"));
        assertEquals("unknown option '--color'", error("--out", "x", "--color", "red"));
        assertEquals("--valid-until '31/12/2026' is not a date (YYYY-MM-DD)", error("--out", "x", "--valid-until", "31/12/2026"));
        assertEquals("--feature 'ha_basic': expected NAME=QTY[:disabled], NAME of letters, digits, '_', '-'",
                error("--out", "x", "--feature", "ha_basic"));
        assertEquals("--feature 'ha_basic=lots': quantity 'lots' is not a number (-1 or unlimited: no limit)",
                error("--out", "x", "--feature", "ha_basic=lots"));
        assertEquals("--feature 'ha_basic=-5': quantity must be >= -1", error("--out", "x", "--feature", "ha_basic=-5"));
        assertEquals("--feature ZxHA given twice", error("--out", "x", "--feature", "ZxHA=1", "--feature", "ZxHA=2"));
    }
}
