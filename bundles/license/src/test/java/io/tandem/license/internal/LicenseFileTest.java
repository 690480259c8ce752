package io.tandem.license.internal;

import io.tandem.api.license.LicenseService.Feature;
import io.tandem.api.license.LicenseService.LicenseInfo;
import io.tandem.license.tool.TestIssuer;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static io.tandem.license.internal.TestLicenses.TODAY;
import static io.tandem.license.internal.TestLicenses.fields;
import static io.tandem.license.internal.TestLicenses.with;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

/** Reading and verifying a license file: every way it can be refused, and the reason given. */
public class LicenseFileTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final TrustedIssuers issuers = TrustedIssuers.bundled();

    private Path write(String text) throws Exception {
        Path file = tmp.getRoot().toPath().resolve("tandem.license");
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }

    private LicenseInfo read(String text) throws Exception {
        return LicenseFile.read(write(text), issuers).at(TODAY);
    }

    private String reason(String text) throws Exception {
        LicenseInfo info = read(text);
        assertFalse("expected an invalid license: " + info, info.valid());
        return info.reason();
    }

    @Test
    public void theBundledIssuersAreTheTestIssuer() {
        assertEquals(List.of("tandem-test"), List.copyOf(issuers.names()));
    }

    @Test
    public void aLicenseSignedByTheTestIssuerIsValid() throws Exception {
        LicenseInfo info = read(TestIssuer.license(fields()));
        assertTrue(info.reason(), info.valid());
        assertNull(info.reason());
        assertEquals("L-2026-0042", info.licenseId());
        assertEquals("Example Mail Ltd", info.customer());
        assertEquals("tandem-test", info.issuer());
        assertEquals("2026-12-31", info.validUntil());
        assertEquals(List.of(new Feature("ZxHA", 1000, true), new Feature("ha_basic", 10, true)), info.features());
    }

    @Test
    public void commentsAndBlankLinesAreNotSigned() throws Exception {
        String text = "# issued for the pilot\n\n" + TestIssuer.license(fields()).replace("\n", "\n\n# note\n");
        assertTrue(read(text).valid());
    }

    @Test
    public void aSignatureByAnotherKeyDoesNotVerify() throws Exception {
        KeyPair other = TestIssuer.newKeyPair(); // claims to be tandem-test
        assertEquals("license signature does not verify", reason(TestIssuer.license(fields(), other.getPrivate())));
    }

    @Test
    public void aTamperedValueBreaksTheSignature() throws Exception {
        String signed = TestIssuer.license(fields());
        assertTrue(read(signed).valid());
        String tampered = signed.replace("feature.ha_basic.quantity = 10\n", "feature.ha_basic.quantity = 100000\n");
        assertTrue("the test must change the text", !tampered.equals(signed));
        LicenseInfo info = read(tampered);
        assertFalse(info.valid());
        assertEquals("license signature does not verify", info.reason());
        assertEquals("unverified features are not shown", List.of(), info.features());
        // what the file claims is still shown, to tell which file it is
        assertEquals("L-2026-0042", info.licenseId());
    }

    @Test
    public void anAddedOrRemovedLineBreaksTheSignature() throws Exception {
        String signed = TestIssuer.license(fields());
        assertEquals("license signature does not verify",
                reason(signed.replace("issuer = ", "feature.extra.quantity = 5\nissuer = ")));
        assertEquals("license signature does not verify",
                reason(signed.replace("feature.ZxHA.enabled = true\n", "")));
    }

    @Test
    public void aTamperedSignatureDoesNotVerify() throws Exception {
        String signed = TestIssuer.license(fields());
        String sig = signed.substring(signed.indexOf("signature = ") + 12).strip();
        byte[] bytes = Base64.getDecoder().decode(sig);
        bytes[5] ^= 1;
        assertEquals("license signature does not verify",
                reason(signed.replace(sig, Base64.getEncoder().encodeToString(bytes))));
        assertEquals("license signature does not verify",
                reason(signed.replace(sig, Base64.getEncoder().encodeToString(new byte[10]))));
    }

    @Test
    public void anUnknownIssuerIsNotTrusted() throws Exception {
        KeyPair acme = TestIssuer.newKeyPair();
        LicenseInfo info = read(TestIssuer.license(with("issuer", "acme"), acme.getPrivate()));
        assertFalse(info.valid());
        assertEquals("license issuer 'acme' is not trusted (trusted issuers: tandem-test)", info.reason());
        assertEquals("acme", info.issuer());
    }

    @Test
    public void expiredAfterTheValidUntilDay() throws Exception {
        LicenseFile license = LicenseFile.read(write(TestIssuer.license(with("validUntil", "2026-03-14"))), issuers);
        assertNull("verified: only the date is wrong", license.problem());
        LicenseInfo info = license.at(TODAY);
        assertFalse(info.valid());
        assertEquals("license L-2026-0042 expired: valid until 2026-03-14", info.reason());
        assertEquals("the features of a verified, expired license are shown", 2, info.features().size());
        assertTrue("valid through its last day", license.at(TODAY.minusDays(1)).valid());
    }

    @Test
    public void missingFile() {
        Path file = tmp.getRoot().toPath().resolve("etc/tandem.license");
        LicenseInfo info = LicenseFile.read(file, issuers).at(TODAY);
        assertFalse(info.valid());
        assertEquals("no license installed: " + file + " does not exist", info.reason());
        assertNull(info.licenseId());
        assertEquals(List.of(), info.features());
    }

    @Test
    public void aDirectoryIsNotALicense() throws Exception {
        Path dir = tmp.newFolder("tandem.license").toPath();
        assertEquals("license file " + dir + " is a directory", LicenseFile.read(dir, issuers).at(TODAY).reason());
    }

    @Test
    public void aMalformedLineIsNamedByNumber() throws Exception {
        String signed = TestIssuer.license(fields());
        String broken = signed.replace("customer = Example Mail Ltd\n", "customer: Example Mail Ltd\n");
        Path file = write(broken);
        assertEquals("license file " + file + " line 2: expected 'key = value', found 'customer: Example Mail Ltd'",
                LicenseFile.read(file, issuers).at(TODAY).reason());
    }

    @Test
    public void notUtf8() throws Exception {
        Path file = tmp.getRoot().toPath().resolve("tandem.license");
        Files.write(file, "customer = Soci\u00e9t\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
        assertEquals("license file " + file + " is not UTF-8 text", LicenseFile.read(file, issuers).at(TODAY).reason());
    }

    @Test
    public void noSignatureLine() throws Exception {
        String unsigned = TestIssuer.license(fields());
        unsigned = unsigned.substring(0, unsigned.indexOf("signature ="));
        Path file = write(unsigned);
        assertEquals("license file " + file + " has no signature line", LicenseFile.read(file, issuers).at(TODAY).reason());
    }

    @Test
    public void signatureNotBase64() throws Exception {
        String signed = TestIssuer.license(fields());
        String broken = signed.substring(0, signed.indexOf("signature =")) + "signature = not*base64!\n";
        Path file = write(broken);
        assertEquals("license file " + file + " line 9: signature is not base64", LicenseFile.read(file, issuers).at(TODAY).reason());
    }

    @Test
    public void noIssuer() throws Exception {
        Path file = write(TestIssuer.license(with("issuer", null)));
        assertEquals("license file " + file + " names no issuer", LicenseFile.read(file, issuers).at(TODAY).reason());
    }

    @Test
    public void signedButIncompleteOrWrongFieldsAreRefused() throws Exception {
        assertEquals("license field licenseId is missing", reason(TestIssuer.license(with("licenseId", null))));
        assertEquals("license field customer is missing", reason(TestIssuer.license(with("customer", ""))));
        assertEquals("license field validUntil is missing", reason(TestIssuer.license(with("validUntil", null))));
        assertEquals("license field validUntil = '31/12/2026' is not a date (YYYY-MM-DD)",
                reason(TestIssuer.license(with("validUntil", "31/12/2026"))));
        assertEquals("license field feature.ZxHA.quantity = 'many' is not a quantity (a number >= 0, -1 for unlimited)",
                reason(TestIssuer.license(with("feature.ZxHA.quantity", "many"))));
        assertEquals("license field feature.ZxHA.quantity = '-2' is not a quantity (a number >= 0, -1 for unlimited)",
                reason(TestIssuer.license(with("feature.ZxHA.quantity", "-2"))));
        assertEquals("license field feature.ha_basic.enabled = 'yes' is not true or false",
                reason(TestIssuer.license(with("feature.ha_basic.enabled", "yes"))));
        assertEquals("license feature ha_basic has no feature.ha_basic.enabled",
                reason(TestIssuer.license(with("feature.ha_basic.enabled", null))));
        assertEquals("license feature ZxHA has no feature.ZxHA.quantity",
                reason(TestIssuer.license(with("feature.ZxHA.quantity", null))));
        assertEquals("license field maxNodes (line 9) is not known to this version",
                reason(TestIssuer.license(with("maxNodes", "3"))));
    }

    @Test
    public void unlimitedAndDisabledFeatures() throws Exception {
        Map<String, String> f = with("feature.ZxHA.quantity", "-1");
        f.put("feature.ha_basic.enabled", "false");
        LicenseInfo info = read(TestIssuer.license(f));
        assertTrue(info.valid());
        assertEquals(List.of(new Feature("ZxHA", -1, true), new Feature("ha_basic", 10, false)), info.features());
    }
}
