package io.tandem.license.internal;

import io.tandem.license.tool.TestIssuer;
import org.junit.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

/** The built bundle trusts the test issuer's public key and carries nothing that could sign a license. */
public class BundleJarIT {

    private static Path jar() {
        String path = System.getProperty("tandem.license.jar");
        assertNotNull("system property tandem.license.jar (set by the pom) is missing", path);
        Path jar = Path.of(path);
        assertTrue("the bundle " + jar + " was not built (run mvn verify)", Files.isRegularFile(jar));
        return jar;
    }

    @Test
    public void noPrivateKeyAndNoIssuingToolInTheBundle() throws Exception {
        // the raw private key bytes, as they would appear in any encoding of the key
        byte[] pkcs8 = TestIssuer.privateKey().getEncoded();
        String base64 = Base64.getEncoder().encodeToString(pkcs8);
        List<String> offending = new ArrayList<>();
        boolean trusted = false;
        try (JarFile jar = new JarFile(jar().toFile())) {
            for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                JarEntry entry = e.nextElement();
                String name = entry.getName();
                if (name.contains("private") || name.startsWith("io/tandem/license/tool/") || name.endsWith(".key")) {
                    offending.add(name);
                }
                try (InputStream in = jar.getInputStream(entry)) {
                    byte[] content = in.readAllBytes();
                    String text = new String(content, StandardCharsets.ISO_8859_1);
                    if (text.contains(base64) || text.contains(new String(pkcs8, StandardCharsets.ISO_8859_1))) {
                        offending.add(name + " (holds the private key)");
                    }
                }
                trusted |= name.equals("io/tandem/license/internal/" + TrustedIssuers.RESOURCE);
            }
        }
        assertEquals("entries that must not be in the bundle", List.of(), offending);
        assertTrue("the bundle has its trusted issuers", trusted);
    }
}
