package io.tandem.api.node;

import org.junit.Test;

import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class RoleTest {

    @Test
    public void parseListAcceptsCommaAndBlankSeparatedRolesInAnyCase() {
        assertEquals(EnumSet.of(Role.CORE, Role.MAILSTORE, Role.MTA), Role.parseList("core,mailstore,mta"));
        assertEquals(EnumSet.of(Role.CORE, Role.PROXY), Role.parseList(" core ,  PROXY "));
        assertEquals(EnumSet.of(Role.FILES, Role.VIDEO, Role.CHATS), Role.parseList("files video\tchats"));
        assertEquals(EnumSet.of(Role.CORE), Role.parseList("core,,core,"));
        assertEquals(EnumSet.allOf(Role.class), Role.parseList("core,mailstore,mta,proxy,files,video,chats"));
    }

    @Test
    public void parseListOfNothingIsTheEmptySet() {
        assertTrue(Role.parseList(null).isEmpty());
        assertTrue(Role.parseList("").isEmpty());
        assertTrue(Role.parseList("   ").isEmpty());
        assertTrue(Role.parseList(" , ,").isEmpty());
    }

    @Test
    public void parseListRefusesOneUnknownRoleNamingItAndTheKnownRoles() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Role.parseList("core,mialstore"));
        assertTrue(e.getMessage(), e.getMessage().startsWith("unknown role 'mialstore'"));
        assertTrue(e.getMessage(), e.getMessage().contains("known roles: core,mailstore,mta,proxy,files,video,chats"));
    }

    @Test
    public void parseListNamesEveryUnknownValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Role.parseList("foo, core  bar,mta,Baz"));
        String m = e.getMessage();
        assertTrue(m, m.startsWith("unknown roles "));
        assertTrue(m, m.contains("'foo'"));
        assertTrue(m, m.contains("'bar'"));
        assertTrue(m, m.contains("'Baz'"));
        assertFalse("valid roles are not reported as unknown: " + m, m.contains("'core'") || m.contains("'mta'"));
    }

    @Test
    public void findIsCaseAndBlankInsensitive() {
        assertEquals(Optional.of(Role.MAILSTORE), Role.find("mailstore"));
        assertEquals(Optional.of(Role.MAILSTORE), Role.find(" MailStore "));
        assertEquals(Optional.empty(), Role.find("mail"));
        assertEquals(Optional.empty(), Role.find(""));
        assertEquals(Optional.empty(), Role.find(null));
    }

    @Test
    public void featureAndOfFeatureAreInverse() {
        for (Role role : Role.values()) {
            assertEquals("tandem-role-" + role.id(), role.feature());
            assertEquals(Optional.of(role), Role.ofFeature(role.feature()));
            assertEquals(role.id(), role.toString());
        }
        assertEquals(Optional.empty(), Role.ofFeature("tandem-role-"));
        assertEquals(Optional.empty(), Role.ofFeature("tandem-role-unknown"));
        assertEquals(Optional.empty(), Role.ofFeature("tandem-core"));
        assertEquals(Optional.empty(), Role.ofFeature("core"));
        assertEquals(Optional.empty(), Role.ofFeature(null));
    }

    @Test
    public void idsAreInDeclarationOrder() {
        assertEquals("core,mailstore,chats", Role.ids(List.of(Role.CHATS, Role.MAILSTORE, Role.CORE)));
        assertEquals("", Role.ids(Set.of()));
        assertEquals("mta", Role.ids(Set.of(Role.MTA)));
    }
}
