package io.tandem.blob.s3.internal.command;

import io.tandem.api.blob.Volume;
import io.tandem.api.test.VolumeRegistryAdapter;
import org.junit.Before;
import org.junit.Test;

import java.util.List;
import java.util.UUID;

import static io.tandem.blob.s3.internal.command.BucketCommandsTest.B1;
import static io.tandem.blob.s3.internal.command.CommandOutput.rows;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class VolumeCommandsTest {

    static final UUID V1 = UUID.fromString("1c9e8f7a-6b5d-4c3e-a2f1-0e9d8c7b6a51");
    static final UUID V2 = UUID.fromString("2d0f9e8b-7c6e-4d4f-b3a2-1f0e9d8c7b62");
    static final UUID V3 = UUID.fromString("3e1a0f9c-8d7f-4e5a-84b3-2a1f0e9d8c73");

    private final VolumeRegistryAdapter registry = new VolumeRegistryAdapter();

    @Before
    public void setUp() {
        registry.nextIds(B1).createBucket("MinIO", "http://127.0.0.1:9000", "mail-blobs", "", "tandemadmin", "secret");
    }

    private String create(String name, String kind, String type, String bucket, String path, boolean centralized) {
        DoCreateVolumeCommand c = new DoCreateVolumeCommand();
        c.volumes = registry;
        c.name = name;
        c.kind = kind;
        c.type = type;
        c.bucketId = bucket;
        c.path = path;
        c.centralized = centralized;
        return c.render();
    }

    private void threeVolumes() {
        registry.nextIds(V1, V2, V3);
        create("store1", "primary", "s3", B1.toString(), "mailstore/blobs", true);
        create("archive", "secondary", "local", "-", "/srv/tandem/archive", false);
        create("local1", "primary", "local", "-", "local1", false);
    }

    private ListVolumesCommand list() {
        ListVolumesCommand c = new ListVolumesCommand();
        c.volumes = registry;
        return c;
    }

    @Test
    public void doCreateVolumePrintsTheNewId() {
        registry.nextIds(V1);
        assertEquals(V1 + "\n", create("store1", "PRIMARY", "S3", B1.toString(), "mailstore/blobs", true));
        assertEquals(new Volume(V1, "store1", Volume.Kind.PRIMARY, Volume.Type.S3, B1, "mailstore/blobs", true, false),
                registry.volume(V1).orElseThrow());
    }

    @Test
    public void optionsMayFollowTheArguments() {
        registry.nextIds(V1);
        DoCreateVolumeCommand c = new DoCreateVolumeCommand();
        c.volumes = registry;
        c.name = "store1";
        c.kind = "primary";
        c.type = "s3";
        c.bucketId = B1.toString();
        c.path = "mailstore/blobs";
        c.trailing = List.of("--centralized");
        assertEquals(V1 + "\n", c.render());
        assertTrue(registry.volume(V1).orElseThrow().centralized());

        DoUpdateVolumeCommand u = new DoUpdateVolumeCommand();
        u.volumes = registry;
        u.volumeId = V1.toString();
        u.trailing = List.of("--name", "store-a", "--centralized", "false");
        assertEquals("Volume " + V1 + " updated: name=store-a (was store1) centralized=false (was true)\n", u.render());
        u.trailing = List.of("--centralised", "true");
        assertEquals("core:doUpdateVolume refused: unexpected argument '--centralised' (options here: --centralized, --name)",
                assertThrows(IllegalArgumentException.class, u::render).getMessage());
    }

    @Test
    public void doCreateVolumeRefusals() {
        assertEquals("core:doCreateVolume refused: unknown volume kind 'tertiary' (expected primary or secondary)",
                assertThrows(IllegalArgumentException.class, () -> create("v", "tertiary", "s3", B1.toString(), "p", false)).getMessage());
        assertEquals("core:doCreateVolume refused: unknown volume type 'nfs' (expected s3 or local)",
                assertThrows(IllegalArgumentException.class, () -> create("v", "primary", "nfs", "-", "/p", false)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> create("v", "primary", "s3", "-", "p", false))
                .getMessage().startsWith("core:doCreateVolume refused: an S3 volume needs a bucket"));
        assertEquals("core:doCreateVolume refused: 'bucket1' is not a bucket id (a UUID such as 0b6c6d5e-8a55-4d0a-9e4b-6d1b8c1e2f3a)",
                assertThrows(IllegalArgumentException.class, () -> create("v", "primary", "s3", "bucket1", "p", false)).getMessage());
        assertEquals("core:doCreateVolume refused: LOCAL volume v cannot be centralized (only S3 volumes are shared)",
                assertThrows(IllegalArgumentException.class, () -> create("v", "primary", "local", "-", "/p", true)).getMessage());
        assertEquals(List.of(), registry.volumes());
    }

    @Test
    public void listVolumesPrimaryFirstWithTheCurrentMarked() throws Exception {
        threeVolumes();
        registry.setCurrent(V1);
        ListVolumesCommand c = list();
        c.setNoFormat(true);
        assertEquals(List.of(
                List.of(V3.toString(), "local1", "primary", "local", "-", "local1", "false", ""),
                List.of(V1.toString(), "store1", "primary", "s3", "mail-blobs", "mailstore/blobs", "true", "*"),
                List.of(V2.toString(), "archive", "secondary", "local", "-", "/srv/tandem/archive", "false", "")),
                rows(c.render()));
        c.setNoFormat(false);
        String header = c.render().lines().findFirst().orElseThrow();
        assertTrue(header, header.matches("Id +\\| Name +\\| Kind +\\| Type +\\| Bucket +\\| Path +\\| Centralized \\| Current"));
        c.setJson(true);
        String json = c.render();
        assertTrue(json, json.contains(String.join("\n",
                "  {",
                "    \"id\": \"" + V1 + "\",",
                "    \"name\": \"store1\",",
                "    \"kind\": \"primary\",",
                "    \"type\": \"s3\",",
                "    \"bucketId\": \"" + B1 + "\",",
                "    \"bucket\": \"mail-blobs\",",
                "    \"path\": \"mailstore/blobs\",",
                "    \"centralized\": true,",
                "    \"current\": true",
                "  },")));
        assertTrue(json, json.contains("\"bucketId\": null,"));
    }

    @Test
    public void listVolumesWhenThereIsNone() throws Exception {
        assertTrue(list().render().contains("no volume (core:doCreateVolume)"));
    }

    private String setCurrent(String id) {
        SetCurrentVolumeCommand c = new SetCurrentVolumeCommand();
        c.volumes = registry;
        c.volumeId = id;
        return c.render();
    }

    @Test
    public void setCurrentVolumeSaysWhichWasCurrent() {
        threeVolumes();
        assertEquals("Volume store1 (" + V1 + ") is now the current primary volume (was none)\n", setCurrent(V1.toString()));
        assertEquals("Volume local1 (" + V3 + ") is now the current primary volume (was store1 (" + V1 + "))\n",
                setCurrent(V3.toString()));
        assertEquals(V3, registry.current(Volume.Kind.PRIMARY).orElseThrow().id());
        UUID unknown = UUID.fromString("00000000-0000-0000-0000-000000000999");
        assertEquals("core:setCurrentVolume refused: no volume " + unknown,
                assertThrows(IllegalArgumentException.class, () -> setCurrent(unknown.toString())).getMessage());
    }

    /** A directory that only answers its replica rows. */
    private static io.tandem.api.directory.DirectoryService replicas(String... states) {
        List<io.tandem.api.directory.Replica> rows = java.util.Arrays.stream(states).map(st -> new io.tandem.api.directory.Replica(
                UUID.randomUUID(), "mbox2", 10, st, "", null, 0)).toList();
        return (io.tandem.api.directory.DirectoryService) java.lang.reflect.Proxy.newProxyInstance(VolumeCommandsTest.class.getClassLoader(),
                new Class<?>[] {io.tandem.api.directory.DirectoryService.class}, (proxy, m, args) -> {
                    if (m.getName().equals("replicas") && (args == null || args.length == 0)) {
                        return rows;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
    }

    /** Replicas read bodies from the source's current primary volume: it must stay shared while they exist. */
    @Test
    public void theCurrentPrimaryVolumeStaysCentralizedWhileAccountsAreReplicated() {
        threeVolumes();
        setCurrent(V1.toString());
        SetCurrentVolumeCommand c = new SetCurrentVolumeCommand();
        c.volumes = registry;
        c.directory = replicas(io.tandem.api.directory.Replica.IN_SYNC);
        c.volumeId = V3.toString();
        String refused = assertThrows(IllegalArgumentException.class, c::render).getMessage();
        assertEquals("core:setCurrentVolume refused: volume local1 would be a current primary volume that is not centralized while 1 "
                + "replica(s) read mail bodies from the current primary volume (ha:getAccountStatus): use a centralized S3 volume, "
                + "or remove the replicas first", refused);
        assertEquals("unchanged", V1, registry.current(Volume.Kind.PRIMARY).orElseThrow().id());

        DoUpdateVolumeCommand u = new DoUpdateVolumeCommand();
        u.volumes = registry;
        u.directory = replicas(io.tandem.api.directory.Replica.INITIALISING);
        u.volumeId = V1.toString();
        u.centralized = "false";
        assertThrows(IllegalArgumentException.class, u::render);
        assertTrue("unchanged", registry.volume(V1).orElseThrow().centralized());

        c.directory = replicas(io.tandem.api.directory.Replica.PAUSED);
        c.render(); // paused replicas re-sync from a snapshot: allowed
        assertEquals(V3, registry.current(Volume.Kind.PRIMARY).orElseThrow().id());
    }

    private String update(String id, String name, String centralized) {
        DoUpdateVolumeCommand c = new DoUpdateVolumeCommand();
        c.volumes = registry;
        c.volumeId = id;
        c.name = name;
        c.centralized = centralized;
        return c.render();
    }

    @Test
    public void doUpdateVolume() {
        threeVolumes();
        assertEquals("Volume " + V1 + " updated: name=store-a (was store1) centralized=false (was true)\n",
                update(V1.toString(), "store-a", "false"));
        assertEquals("Volume " + V1 + " updated: name=store-a centralized=true (was false)\n",
                update(V1.toString(), null, "TRUE"));
        assertEquals("core:doUpdateVolume refused: nothing to change: give --name and/or --centralized",
                assertThrows(IllegalArgumentException.class, () -> update(V1.toString(), null, null)).getMessage());
        assertEquals("core:doUpdateVolume refused: --centralized 'yes' must be true or false",
                assertThrows(IllegalArgumentException.class, () -> update(V1.toString(), null, "yes")).getMessage());
        assertEquals("core:doUpdateVolume refused: volume name 'archive' is already used by " + V2,
                assertThrows(IllegalArgumentException.class, () -> update(V1.toString(), "archive", null)).getMessage());
        assertEquals("store-a", registry.volume(V1).orElseThrow().name());
    }

    private String delete(String id) {
        DeleteVolumeCommand c = new DeleteVolumeCommand();
        c.volumes = registry;
        c.volumeId = id;
        return c.render();
    }

    @Test
    public void deleteVolumeRefusesTheCurrentOne() {
        threeVolumes();
        registry.setCurrent(V1);
        assertEquals("core:deleteVolume refused: volume store1 (" + V1 + ") is the current primary volume: make another one current first",
                assertThrows(IllegalArgumentException.class, () -> delete(V1.toString())).getMessage());
        assertEquals("Volume archive (" + V2 + ") deleted\n", delete(V2.toString()));
        assertFalse(registry.volume(V2).isPresent());
        assertEquals(2, registry.volumes().size());
    }
}
