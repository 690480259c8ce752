package io.tandem.api.test;

import io.tandem.api.blob.BucketConfig;
import io.tandem.api.blob.Volume;
import org.junit.Test;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/** The volume test double keeps the rules of VolumeAdminService (other bundles' tests rely on it). */
public class VolumeRegistryAdapterTest {

    private static final UUID B1 = UUID.fromString("00000000-0000-0000-0000-0000000000b1");
    private static final UUID V1 = UUID.fromString("00000000-0000-0000-0000-0000000000a1");
    private static final UUID V2 = UUID.fromString("00000000-0000-0000-0000-0000000000a2");
    private static final UUID V3 = UUID.fromString("00000000-0000-0000-0000-0000000000a3");

    private final VolumeRegistryAdapter registry = new VolumeRegistryAdapter();

    private BucketConfig bucket() {
        return registry.nextIds(B1).createBucket("MinIO", "http://127.0.0.1:9000/", "mail", null, "tandemkey", "s3cr3t");
    }

    private static String refused(org.junit.function.ThrowingRunnable r) {
        return assertThrows(IllegalArgumentException.class, r).getMessage();
    }

    @Test
    public void createsBucketsWithNormalisedValues() {
        BucketConfig b = bucket();
        assertEquals(new BucketConfig(B1, "MinIO", "http://127.0.0.1:9000", "mail", "", "tandemkey", "s3cr3t"), b);
        assertEquals(List.of(b), registry.buckets());
        assertEquals(Optional.of(b), registry.bucket(B1));
        assertEquals(Optional.empty(), registry.bucket(UUID.randomUUID()));
        assertEquals(Optional.empty(), registry.bucket(null));
    }

    @Test
    public void refusesABucketTwiceAndBadValuesChangingNothing() {
        bucket();
        assertTrue(refused(() -> registry.createBucket("S3", "http://127.0.0.1:9000", "mail", "", "k2", "s2"))
                .contains("already registered as " + B1));
        String m = refused(() -> registry.createBucket("S3", "http://h", "mail", "", "k2", "bad secret"));
        assertFalse(m, m.contains("bad secret"));
        assertTrue(refused(() -> registry.createBucket("S3", "http://h", "Bad_Bucket", "", "k", "s")).contains("'Bad_Bucket'"));
        assertEquals(1, registry.buckets().size());
    }

    @Test
    public void volumesFollowTheRules() {
        bucket();
        Volume v1 = registry.nextIds(V1).createVolume("s3-primary", Volume.Kind.PRIMARY, Volume.Type.S3, B1, "store1", true);
        assertEquals(new Volume(V1, "s3-primary", Volume.Kind.PRIMARY, Volume.Type.S3, B1, "store1", true, false), v1);
        assertEquals(Optional.empty(), registry.current(Volume.Kind.PRIMARY));

        assertTrue(refused(() -> registry.createVolume("S3-PRIMARY", Volume.Kind.PRIMARY, Volume.Type.S3, B1, "other", false))
                .contains("'S3-PRIMARY' is already used by " + V1));
        assertTrue(refused(() -> registry.createVolume("x", Volume.Kind.PRIMARY, Volume.Type.S3, B1, "store1", false))
                .contains("'store1' in bucket " + B1 + " is already used by volume s3-primary"));
        UUID unknown = UUID.randomUUID();
        assertEquals("no bucket " + unknown,
                refused(() -> registry.createVolume("x", Volume.Kind.PRIMARY, Volume.Type.S3, unknown, "p", false)));
        assertTrue(refused(() -> registry.createVolume("x", Volume.Kind.PRIMARY, Volume.Type.S3, null, "p", false)).contains("needs a bucket"));
        assertTrue(refused(() -> registry.createVolume("x", Volume.Kind.PRIMARY, Volume.Type.LOCAL, B1, "/p", false)).contains(B1.toString()));
        assertTrue(refused(() -> registry.createVolume("x", Volume.Kind.PRIMARY, Volume.Type.LOCAL, null, "/p", true)).contains("cannot be centralized"));
        assertTrue(refused(() -> registry.createVolume("x", Volume.Kind.PRIMARY, Volume.Type.S3, B1, "/abs", false)).contains("'/abs'"));
        assertEquals(1, registry.volumes().size());

        assertTrue(refused(() -> registry.deleteBucket(B1)).contains("used by volume s3-primary"));
        assertEquals(1, registry.buckets().size());
    }

    @Test
    public void oneCurrentVolumePerKind() {
        bucket();
        registry.nextIds(V1, V2, V3);
        registry.createVolume("p1", Volume.Kind.PRIMARY, Volume.Type.S3, B1, "p1", false);
        registry.createVolume("p2", Volume.Kind.PRIMARY, Volume.Type.LOCAL, null, "/srv/p2", false);
        registry.createVolume("s1", Volume.Kind.SECONDARY, Volume.Type.LOCAL, null, "/srv/s1", false);
        registry.setCurrent(V1);
        registry.setCurrent(V3);
        assertEquals(V1, registry.current(Volume.Kind.PRIMARY).orElseThrow().id());
        registry.setCurrent(V2);
        assertEquals(V2, registry.current(Volume.Kind.PRIMARY).orElseThrow().id());
        assertFalse(registry.volume(V1).orElseThrow().current());
        assertEquals("the secondary stays current", V3, registry.current(Volume.Kind.SECONDARY).orElseThrow().id());

        assertTrue(refused(() -> registry.deleteVolume(V2)).contains("current primary volume"));
        registry.deleteVolume(V1);
        assertEquals(List.of(V2, V3), registry.volumes().stream().map(Volume::id).toList());
        assertTrue(refused(() -> registry.deleteVolume(V1)).contains("no volume " + V1));
        assertTrue(refused(() -> registry.setCurrent(V1)).contains("no volume " + V1));
        registry.deleteBucket(B1);
        assertEquals(List.of(), registry.buckets());
    }

    @Test
    public void updateChangesOnlyNameAndCentralized() {
        bucket();
        registry.nextIds(V1, V2);
        registry.createVolume("p1", Volume.Kind.PRIMARY, Volume.Type.S3, B1, "p1", false);
        registry.createVolume("l1", Volume.Kind.SECONDARY, Volume.Type.LOCAL, null, "/srv/l1", false);
        registry.setCurrent(V1);
        Volume v = registry.updateVolume(V1, "p1-renamed", true);
        assertEquals(new Volume(V1, "p1-renamed", Volume.Kind.PRIMARY, Volume.Type.S3, B1, "p1", true, true), v);
        assertEquals(v, registry.updateVolume(V1, null, null));
        assertEquals(false, registry.updateVolume(V1, null, false).centralized());
        assertTrue(refused(() -> registry.updateVolume(V1, "L1", null)).contains("already used by " + V2));
        assertTrue(refused(() -> registry.updateVolume(V2, "l2", true)).contains("cannot be centralized"));
        assertEquals("refused update changed nothing", "l1", registry.volume(V2).orElseThrow().name());
        assertTrue(refused(() -> registry.updateVolume(UUID.randomUUID(), "x", null)).startsWith("no volume "));
    }
}
