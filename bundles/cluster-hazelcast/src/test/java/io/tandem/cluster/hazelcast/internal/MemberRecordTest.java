package io.tandem.cluster.hazelcast.internal;

import io.tandem.api.node.Role;
import org.junit.Test;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

public class MemberRecordTest {

    private static MemberRecord roundTrip(MemberRecord r) {
        return MemberRecord.decode(r.encode());
    }

    @Test
    public void plainRecordRoundTrips() {
        MemberRecord r = new MemberRecord("mbox1", "mbox1.example.com", "10.0.0.1", "0.1.0",
                EnumSet.of(Role.CORE, Role.MAILSTORE), EnumSet.of(Role.MAILSTORE),
                Map.of("health", "http://10.0.0.1:8405/health", "cluster", "10.0.0.1:5701"));
        assertEquals(r, roundTrip(r));
    }

    @Test
    public void encodingIsOneKeyValueLinePerField() {
        MemberRecord r = new MemberRecord("n1", "n1.test", "::1", "1.0", EnumSet.of(Role.MTA, Role.CORE),
                EnumSet.noneOf(Role.class), Map.of("health", "http://[::1]:8405/health"));
        assertEquals(String.join("\n",
                "format=1",
                "name=n1",
                "fqdn=n1.test",
                "address=%3A%3A1",
                "version=1.0",
                "roles=core%2Cmta",
                "unhealthy=",
                "endpoint.health=http%3A%2F%2F%5B%3A%3A1%5D%3A8405%2Fhealth",
                ""), r.encode());
    }

    @Test
    public void valuesWithSeparatorsNewlinesAndUnicodeRoundTrip() {
        MemberRecord r = new MemberRecord("n=1", "line1\nline2\r\n", "a b+c%20", "v\u00e9rsion-\u6f22\u5b57-\ud83d\ude00",
                EnumSet.noneOf(Role.class), EnumSet.noneOf(Role.class),
                Map.of("x", "k=v&a=b\n=", "name=with\nnewline", "\u00fcber"));
        String encoded = r.encode();
        assertEquals("one line per field: " + encoded, 9, encoded.split("\n").length);
        assertEquals(r, MemberRecord.decode(encoded));
    }

    @Test
    public void emptyValuesRoundTrip() {
        MemberRecord r = new MemberRecord("", "", "", "", Set.of(), Set.of(), Map.of("e", ""));
        MemberRecord back = roundTrip(r);
        assertEquals(r.name(), back.name());
        assertEquals(Map.of("e", ""), back.endpoints());
        assertTrue(back.roles().isEmpty());
    }

    @Test
    public void unknownKeysAndMalformedLinesAreIgnored() {
        MemberRecord r = MemberRecord.decode(String.join("\n",
                "format=2",
                "name=n1",
                "datacenter=eu-west",
                "no equals sign",
                "=value without key",
                "",
                "roles=core",
                "endpoint.health=http%3A%2F%2Fh"));
        assertEquals("n1", r.name());
        assertEquals(EnumSet.of(Role.CORE), r.roles());
        assertEquals(Map.of("health", "http://h"), r.endpoints());
        assertEquals("missing fields are '?'", "?", r.fqdn());
        assertEquals("?", r.address());
        assertEquals("?", r.version());
        assertTrue(r.unhealthy().isEmpty());
    }

    @Test
    public void unknownRoleNamesAreSkipped() {
        MemberRecord r = MemberRecord.decode("name=n1\nroles=core%2Cwebmail%2Cmta%2C\nunhealthy=webmail%2Cmta\n");
        assertEquals(EnumSet.of(Role.CORE, Role.MTA), r.roles());
        assertEquals(EnumSet.of(Role.MTA), r.unhealthy());
        assertFalse(MemberRecord.lenientRoles("").iterator().hasNext());
        assertEquals(EnumSet.of(Role.VIDEO), MemberRecord.lenientRoles("VIDEO, nope"));
    }

    @Test
    public void aMalformedEscapeCostsOnlyThatField() {
        MemberRecord r = MemberRecord.decode("format=1\nname=n1\nfqdn=%zz\nroles=core\n");
        assertEquals("n1", r.name());
        assertEquals("?", r.fqdn());
        assertEquals(java.util.Set.of(io.tandem.api.node.Role.CORE), r.roles());
    }
}
