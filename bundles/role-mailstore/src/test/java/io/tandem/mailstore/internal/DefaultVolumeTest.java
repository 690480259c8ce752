package io.tandem.mailstore.internal;

import io.tandem.api.blob.Volume;
import io.tandem.api.test.VolumeRegistryAdapter;
import org.junit.Test;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

public class DefaultVolumeTest {

    @Test
    public void withoutACurrentPrimaryALocalOneIsCreatedAndMadeCurrentOnce() {
        VolumeRegistryAdapter volumes = new VolumeRegistryAdapter();
        DefaultVolume.ensure(volumes);
        Volume current = volumes.current(Volume.Kind.PRIMARY).orElseThrow();
        assertEquals(DefaultVolume.NAME, current.name());
        assertEquals(Volume.Type.LOCAL, current.type());
        assertTrue(!current.centralized());
        DefaultVolume.ensure(volumes); // a second node, or a restart
        assertEquals(1, volumes.volumes().size());
    }

    @Test
    public void aCurrentPrimaryVolumeIsLeftAlone() {
        VolumeRegistryAdapter volumes = new VolumeRegistryAdapter();
        var bucket = volumes.createBucket("MinIO", "http://127.0.0.1:9000", "mail", "", "tandemkey", "s3cr3tkey");
        Volume s3 = volumes.createVolume("s3", Volume.Kind.PRIMARY, Volume.Type.S3, bucket.id(), "store", true);
        volumes.setCurrent(s3.id());
        DefaultVolume.ensure(volumes);
        assertEquals(1, volumes.volumes().size());
        assertEquals(s3.id(), volumes.current(Volume.Kind.PRIMARY).orElseThrow().id());
    }

    @Test
    public void anExistingLocalPrimaryIsMadeCurrentAgainRatherThanDuplicated() {
        VolumeRegistryAdapter volumes = new VolumeRegistryAdapter();
        Volume local = volumes.createVolume(DefaultVolume.NAME, Volume.Kind.PRIMARY, Volume.Type.LOCAL, null, "primary", false);
        DefaultVolume.ensure(volumes);
        assertEquals(local.id(), volumes.current(Volume.Kind.PRIMARY).orElseThrow().id());
        assertEquals(1, volumes.volumes().size());
    }
}
