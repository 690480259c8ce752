package io.tandem.api.blob;

import org.junit.Test;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class VolumeRulesTest {

    private static String refused(org.junit.function.ThrowingRunnable r) {
        return assertThrows(IllegalArgumentException.class, r).getMessage();
    }

    @Test
    public void endpointIsNormalised() {
        assertEquals("http://127.0.0.1:9000", VolumeRules.endpoint("http://127.0.0.1:9000"));
        assertEquals("https://s3.eu-west-1.amazonaws.com", VolumeRules.endpoint(" HTTPS://s3.eu-west-1.amazonaws.com/ "));
        assertEquals("http://[::1]:9000", VolumeRules.endpoint("http://[::1]:9000"));
    }

    @Test
    public void badEndpointsAreNamed() {
        assertTrue(refused(() -> VolumeRules.endpoint("ftp://h:21")).contains("'ftp://h:21'"));
        assertTrue(refused(() -> VolumeRules.endpoint("127.0.0.1:9000")).contains("expected http(s)://host[:port]"));
        assertTrue(refused(() -> VolumeRules.endpoint("http://h:9000/bucket")).contains("path"));
        assertTrue(refused(() -> VolumeRules.endpoint("http://h:9000?x=1")).contains("query"));
        assertTrue(refused(() -> VolumeRules.endpoint("http://h:70000")).contains("70000"));
        assertTrue(refused(() -> VolumeRules.endpoint("")).contains("empty"));
        assertTrue(refused(() -> VolumeRules.endpoint(null)).contains("empty"));
        assertTrue(refused(() -> VolumeRules.endpoint("http:// bad")).contains("not a URI"));
    }

    @Test
    public void endpointUserInfoIsRefusedWithoutEchoingIt() {
        String m = refused(() -> VolumeRules.endpoint("http://AKIAXYZ:topsecret@h:9000"));
        assertFalse(m, m.contains("topsecret"));
        assertFalse(m, m.contains("AKIAXYZ"));
        assertTrue(m, m.contains("user info"));
    }

    @Test
    public void bucketNames() {
        assertEquals("mail-blobs.1", VolumeRules.bucketName("mail-blobs.1"));
        for (String bad : new String[] {"ab", "Mail", "-mail", "mail-", "ma..il", "192.168.1.1", "a_b", "x".repeat(64)}) {
            assertTrue(bad, refused(() -> VolumeRules.bucketName(bad)).contains("'" + bad + "'"));
        }
    }

    @Test
    public void providerRegionAndKeys() {
        assertEquals("MinIO", VolumeRules.provider(" MinIO "));
        assertTrue(refused(() -> VolumeRules.provider("")).contains("provider ''"));
        assertTrue(refused(() -> VolumeRules.provider("a;b")).contains("'a;b'"));
        assertEquals("", VolumeRules.region(null));
        assertEquals("", VolumeRules.region("  "));
        assertEquals("eu-west-1", VolumeRules.region("eu-west-1"));
        assertTrue(refused(() -> VolumeRules.region("EU West")).contains("'EU West'"));
        assertEquals("AKIAIOSFODNN7EXAMPLE", VolumeRules.accessKey("AKIAIOSFODNN7EXAMPLE"));
        String m = refused(() -> VolumeRules.accessKey("AKIA IOSFODNN7"));
        assertTrue(m, m.contains("'AKIA****'"));
        assertFalse(m, m.contains("IOSF"));
        m = refused(() -> VolumeRules.secretKey("my secret"));
        assertFalse(m, m.contains("my secret"));
        assertFalse(m, m.contains("secret'"));
        assertTrue(m, m.startsWith("secret key must be"));
        assertThrows(IllegalArgumentException.class, () -> VolumeRules.secretKey(""));
        assertThrows(IllegalArgumentException.class, () -> VolumeRules.secretKey("x".repeat(129)));
    }

    @Test
    public void volumeNames() {
        assertEquals("primary-1", VolumeRules.volumeName("primary-1"));
        assertTrue(refused(() -> VolumeRules.volumeName("-x")).contains("'-x'"));
        assertTrue(refused(() -> VolumeRules.volumeName("a b")).contains("'a b'"));
        assertThrows(IllegalArgumentException.class, () -> VolumeRules.volumeName(null));
    }

    @Test
    public void s3Paths() {
        assertEquals("mailstore/blobs", VolumeRules.s3Path("mailstore/blobs"));
        for (String bad : new String[] {"", "/x", "x/", "a//b", "a/../b", ".", "a b", "x".repeat(513)}) {
            assertThrows(bad, IllegalArgumentException.class, () -> VolumeRules.s3Path(bad));
        }
        assertTrue(refused(() -> VolumeRules.s3Path("a//b")).contains("'a//b'"));
    }

    @Test
    public void localPaths() {
        assertEquals("/var/lib/tandem/blobs", VolumeRules.localPath("/var/lib/tandem/blobs/"));
        assertEquals("blobs/local1", VolumeRules.localPath("blobs/local1"));
        assertEquals("/", VolumeRules.localPath("/"));
        assertTrue(refused(() -> VolumeRules.localPath("/var/../etc")).contains("'/var/../etc'"));
        assertTrue(refused(() -> VolumeRules.localPath(" ")).contains("empty"));
        assertTrue(refused(() -> VolumeRules.localPath("/a\nb")).contains("control"));
        assertEquals("a/b", VolumeRules.path(Volume.Type.S3, "a/b"));
        assertThrows(IllegalArgumentException.class, () -> VolumeRules.path(Volume.Type.S3, "/abs"));
        assertEquals("/abs", VolumeRules.path(Volume.Type.LOCAL, "/abs"));
    }

    @Test
    public void kindsAndTypes() {
        assertEquals(Volume.Kind.PRIMARY, VolumeRules.kind("primary"));
        assertEquals(Volume.Kind.SECONDARY, VolumeRules.kind(" Secondary"));
        assertEquals(Volume.Type.LOCAL, VolumeRules.type("LOCAL"));
        assertEquals(Volume.Type.S3, VolumeRules.type("s3"));
        assertEquals("unknown volume kind 'tertiary' (expected primary or secondary)",
                refused(() -> VolumeRules.kind("tertiary")));
        assertEquals("unknown volume type 'nfs' (expected s3 or local)", refused(() -> VolumeRules.type("nfs")));
        assertThrows(IllegalArgumentException.class, () -> VolumeRules.type(null));
    }
}
