package io.tandem.license.internal;

import org.junit.Test;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;

public class LicenseFormatTest {

    private static int failingLine(String text) {
        return assertThrows(LicenseFormat.FormatException.class, () -> LicenseFormat.parse(text)).line();
    }

    private static String failure(String text) {
        return assertThrows(LicenseFormat.FormatException.class, () -> LicenseFormat.parse(text)).getMessage();
    }

    @Test
    public void canonicalFormIsSortedKeyEqualsValueLinesInUtf8() {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("validUntil", "2027-01-31");
        fields.put("customer", "Société Générale");
        fields.put("feature.ha_basic.quantity", "10");
        fields.put("feature.ZxHA.enabled", "true");
        fields.put("issuer", "tandem-test");
        byte[] expected = ("customer=Société Générale\n"
                + "feature.ZxHA.enabled=true\n"
                + "feature.ha_basic.quantity=10\n"
                + "issuer=tandem-test\n"
                + "validUntil=2027-01-31\n").getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(expected, LicenseFormat.canonical(fields));
        // UTF-8: "é" is the two bytes C3 A9 right after "customer=Soci"
        byte[] canonical = LicenseFormat.canonical(fields);
        assertEquals((byte) 0xC3, canonical["customer=Soci".length()]);
        assertEquals((byte) 0xA9, canonical["customer=Soci".length() + 1]);
    }

    @Test
    public void canonicalFormDoesNotDependOnFileOrderOrSpacing() throws Exception {
        LicenseFormat.Parsed a = LicenseFormat.parse("issuer = x\ncustomer = C\nsignature = AAAA\n");
        LicenseFormat.Parsed b = LicenseFormat.parse("# comment\n\n  customer=C  \r\nissuer   =   x\r\nsignature=BBBB\r\n");
        assertArrayEquals(LicenseFormat.canonical(a.fields()), LicenseFormat.canonical(b.fields()));
        assertEquals("customer=C\nissuer=x\n", new String(LicenseFormat.canonical(b.fields()), StandardCharsets.UTF_8));
    }

    @Test
    public void canonicalFormRefusesWhatCouldNotBeReadBack() {
        assertEquals("'bad key' is not a valid license key (letters, digits, '.', '_', '-')",
                assertThrows(IllegalArgumentException.class, () -> LicenseFormat.canonical(Map.of("bad key", "v"))).getMessage());
        assertEquals("'signature' cannot be a signed field",
                assertThrows(IllegalArgumentException.class, () -> LicenseFormat.canonical(Map.of("signature", "v"))).getMessage());
        assertEquals("value of customer must be one line without leading or trailing blanks: 'a\nb'",
                assertThrows(IllegalArgumentException.class, () -> LicenseFormat.canonical(Map.of("customer", "a\nb"))).getMessage());
        assertThrows(IllegalArgumentException.class, () -> LicenseFormat.canonical(Map.of("customer", " padded")));
    }

    @Test
    public void parsesFieldsLineNumbersAndSignature() throws Exception {
        LicenseFormat.Parsed p = LicenseFormat.parse("\uFEFF# header\nlicenseId = L-1\n\ncustomer = Acme = Co\nsignature = c2ln\n");
        assertEquals(Map.of("licenseId", "L-1", "customer", "Acme = Co"), p.fields());
        assertEquals(Integer.valueOf(2), p.lines().get("licenseId"));
        assertEquals(Integer.valueOf(4), p.lines().get("customer"));
        assertEquals("c2ln", p.signature());
        assertEquals(5, p.signatureLine());
    }

    @Test
    public void noSignatureLine() throws Exception {
        LicenseFormat.Parsed p = LicenseFormat.parse("customer = C\n");
        assertNull(p.signature());
        assertEquals(0, p.signatureLine());
    }

    @Test
    public void malformedLinesAreNamedByNumber() {
        assertEquals(3, failingLine("licenseId = L\n# ok\nthis line has no equals sign\nsignature = x\n"));
        assertEquals("line 3: expected 'key = value', found 'this line has no equals sign'",
                failure("licenseId = L\n# ok\nthis line has no equals sign\nsignature = x\n"));
        assertEquals("line 2: 'bad key' is not a valid key (letters, digits, '.', '_', '-')",
                failure("licenseId = L\nbad key = 1\n"));
        assertEquals("line 1: '' is not a valid key (letters, digits, '.', '_', '-')", failure("= value\n"));
        assertEquals("line 4: customer repeated (first on line 2)",
                failure("licenseId = L\ncustomer = A\n\ncustomer = B\n"));
        assertEquals("line 3: customer after the signature (line 2): the signature must be the last line",
                failure("licenseId = L\nsignature = x\ncustomer = A\n"));
        assertEquals("line 2: signature after the signature (line 1): the signature must be the last line",
                failure("signature = x\nsignature = y\n"));
    }

    @Test
    public void longGarbageIsShortenedInTheMessage() {
        String garbage = "x".repeat(200);
        assertEquals("line 1: expected 'key = value', found '" + "x".repeat(60) + "...'", failure(garbage));
    }

    @Test
    public void decodeIsStrictUtf8() throws Exception {
        assertEquals("customer = é", LicenseFormat.decode("customer = é".getBytes(StandardCharsets.UTF_8)));
        assertThrows(CharacterCodingException.class, () -> LicenseFormat.decode(new byte[] {'a', (byte) 0xE9, 'b'}));
    }

    @Test
    public void writeReadsBackToTheSameFields() throws Exception {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("licenseId", "L-1");
        fields.put("customer", "Acme");
        String text = LicenseFormat.write(fields, "c2ln");
        assertEquals("licenseId = L-1\ncustomer = Acme\nsignature = c2ln\n", text);
        LicenseFormat.Parsed p = LicenseFormat.parse(text);
        assertEquals(fields, p.fields());
        assertEquals("c2ln", p.signature());
    }
}
