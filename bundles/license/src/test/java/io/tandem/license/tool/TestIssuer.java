package io.tandem.license.tool;

import io.tandem.license.internal.LicenseFormat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Signs licenses as the TEST issuer {@value #NAME}, whose private key is a test resource
 * ({@value #PRIVATE_KEY}) and never part of the bundle. For unit tests, ITs and
 * {@code scripts/issue-test-license.sh} (through {@link IssueLicense}).
 */
public final class TestIssuer {

    public static final String NAME = "tandem-test";
    public static final String PRIVATE_KEY = "/io/tandem/license/tool/tandem-test.private.key";

    private TestIssuer() {
    }

    /** The test issuer's private key, from the test classpath. */
    public static PrivateKey privateKey() {
        try (InputStream in = TestIssuer.class.getResourceAsStream(PRIVATE_KEY)) {
            if (in == null) {
                throw new IllegalStateException(PRIVATE_KEY + " is not on the classpath (tandem-license test classes)");
            }
            String base64 = new String(in.readAllBytes(), StandardCharsets.US_ASCII).lines()
                    .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).collect(Collectors.joining());
            return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(PRIVATE_KEY + ": not a PKCS#8 Ed25519 key", e);
        }
    }

    /** A fresh key pair: for "unknown issuer" and "wrong key" tests. */
    public static KeyPair newKeyPair() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Base64 Ed25519 signature of the canonical form of {@code fields}. */
    public static String signature(Map<String, String> fields, PrivateKey key) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(key);
            s.update(LicenseFormat.canonical(fields));
            return Base64.getEncoder().encodeToString(s.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The text of a license file with {@code fields} (in this order), signed with {@code key}. */
    public static String license(Map<String, String> fields, PrivateKey key) {
        return LicenseFormat.write(fields, signature(fields, key));
    }

    /** The text of a license file with {@code fields} (in this order), signed by the test issuer. */
    public static String license(Map<String, String> fields) {
        return license(fields, privateKey());
    }
}
