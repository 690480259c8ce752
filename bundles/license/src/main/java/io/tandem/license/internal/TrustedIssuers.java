package io.tandem.license.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * The license issuers this build trusts: name → Ed25519 public key. The bundled list
 * ({@value #RESOURCE} next to this class) is the only source in production; configuration cannot
 * add to it (docs/decisions/0008-license-verification.md).
 */
public final class TrustedIssuers {

    public static final String RESOURCE = "trusted-issuers.properties";
    static final String ALGORITHM = "Ed25519";

    private final Map<String, PublicKey> keys;

    private TrustedIssuers(Map<String, PublicKey> keys) {
        this.keys = Collections.unmodifiableMap(new TreeMap<>(keys));
    }

    /** The issuers shipped in the bundle. A broken list is a build error: it fails here, naming the issuer. */
    public static TrustedIssuers bundled() {
        try (InputStream in = TrustedIssuers.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the bundle has no " + RESOURCE + " (trusted license issuers)");
            }
            Properties p = new Properties();
            try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
                p.load(r);
            }
            Map<String, String> encoded = new TreeMap<>();
            p.stringPropertyNames().forEach(name -> encoded.put(name, p.getProperty(name)));
            return of(encoded);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + RESOURCE + ": " + e.getMessage(), e);
        }
    }

    /** Issuers from base64 X.509-encoded Ed25519 public keys. */
    public static TrustedIssuers of(Map<String, String> encodedKeys) {
        Map<String, PublicKey> keys = new TreeMap<>();
        encodedKeys.forEach((name, base64) -> keys.put(name, publicKey(name, base64)));
        if (keys.isEmpty()) {
            throw new IllegalStateException("no trusted license issuer (" + RESOURCE + " is empty)");
        }
        return new TrustedIssuers(keys);
    }

    private static PublicKey publicKey(String name, String base64) {
        try {
            byte[] der = Base64.getDecoder().decode(base64.strip());
            return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(der));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new IllegalStateException("trusted license issuer " + name
                    + ": not a base64 X.509 Ed25519 public key: " + e.getMessage(), e);
        }
    }

    public Set<String> names() {
        return keys.keySet();
    }

    public Optional<PublicKey> key(String issuer) {
        return Optional.ofNullable(keys.get(issuer));
    }

    /** Whether {@code signature} is {@code issuer}'s Ed25519 signature of {@code data}; false for an unknown issuer. */
    public boolean verify(String issuer, byte[] data, byte[] signature) {
        PublicKey key = keys.get(issuer);
        if (key == null) {
            return false;
        }
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initVerify(key);
            s.update(data);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            // a signature of the wrong length or encoding is simply not a valid signature
            return false;
        }
    }
}
