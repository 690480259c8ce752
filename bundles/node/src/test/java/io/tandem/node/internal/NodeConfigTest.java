package io.tandem.node.internal;

import io.tandem.api.node.Role;
import org.junit.Test;

import java.util.Set;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class NodeConfigTest {

    /** Asserts that the values are refused with a message naming the PID, the key and the bad value. */
    private static void assertRefused(String key, String badValue, String name, String fqdn, String address, String roles) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NodeConfig.of(name, fqdn, address, roles));
        String m = e.getMessage();
        assertTrue(m, m.startsWith("tandem.node: "));
        assertTrue("names the key " + key + ": " + m, m.contains(key));
        assertTrue("names the value " + badValue + ": " + m, m.contains("'" + badValue + "'"));
    }

    @Test
    public void validConfiguration() {
        NodeConfig c = NodeConfig.of("mbox1", "mbox1.example.com", "10.0.0.5", "core, mailstore");
        assertEquals("mbox1", c.name());
        assertEquals("mbox1.example.com", c.fqdn());
        assertEquals("10.0.0.5", c.address());
        assertEquals(Set.of(Role.CORE, Role.MAILSTORE), c.roles());
    }

    @Test
    public void fqdnDefaultsToTheName() {
        assertEquals("mbox1", NodeConfig.of("mbox1", "", "127.0.0.1", "").fqdn());
        assertEquals("mbox1", NodeConfig.of("mbox1", "  ", "127.0.0.1", "").fqdn());
        assertEquals("mbox1", NodeConfig.of("mbox1", null, "127.0.0.1", "").fqdn());
        assertEquals("mbox1.example.com", NodeConfig.of("mbox1", " mbox1.example.com ", "127.0.0.1", "").fqdn());
        assertEquals("mbox1.example.com.", NodeConfig.of("mbox1", "mbox1.example.com.", "127.0.0.1", "").fqdn());
    }

    @Test
    public void addressIsTrimmed() {
        assertEquals("127.0.0.1", NodeConfig.of("n1", "", " 127.0.0.1 ", "").address());
    }

    @Test
    public void noRolesIsValid() {
        assertTrue(NodeConfig.of("n1", "", "127.0.0.1", "").roles().isEmpty());
        assertTrue(NodeConfig.of("n1", "", "127.0.0.1", null).roles().isEmpty());
    }

    @Test
    public void ipv6AddressesAreAccepted() {
        assertEquals("::1", NodeConfig.of("n1", "", "::1", "").address());
        assertEquals("fd00:10::5", NodeConfig.of("n1", "", "fd00:10::5", "").address());
        assertEquals("::ffff:10.0.0.1", NodeConfig.of("n1", "", "::ffff:10.0.0.1", "").address());
    }

    @Test
    public void badNamesAreRefused() {
        assertRefused("node.name", "null", null, "", "127.0.0.1", "");
        assertRefused("node.name", "", "", "", "127.0.0.1", "");
        assertRefused("node.name", "mail box", "mail box", "", "127.0.0.1", "");
        assertRefused("node.name", "-leading", "-leading", "", "127.0.0.1", "");
        assertRefused("node.name", "n/1", "n/1", "", "127.0.0.1", "");
        String tooLong = "n".repeat(64);
        assertRefused("node.name", tooLong, tooLong, "", "127.0.0.1", "");
        NodeConfig.of("n".repeat(63), "host", "127.0.0.1", ""); // the longest name is accepted
    }

    @Test
    public void badFqdnsAreRefused() {
        assertRefused("node.fqdn", "mbox_1.example.com", "mbox1", "mbox_1.example.com", "127.0.0.1", "");
        assertRefused("node.fqdn", "mbox1..example.com", "mbox1", "mbox1..example.com", "127.0.0.1", "");
        assertRefused("node.fqdn", "-mbox1.example.com", "mbox1", "-mbox1.example.com", "127.0.0.1", "");
        String longFqdn = ("a".repeat(60) + ".").repeat(5) + "com";
        assertRefused("node.fqdn", longFqdn, "mbox1", longFqdn, "127.0.0.1", "");
    }

    @Test
    public void aNameThatIsNoHostNameNeedsAnFqdnAndTheMessageNamesTheDerivedValue() {
        // node.name allows '_', a host name does not: the default fqdn (the name) is refused
        assertRefused("node.fqdn", "mbox_1", "mbox_1", "", "127.0.0.1", "");
        assertEquals("mbox1.example.com", NodeConfig.of("mbox_1", "mbox1.example.com", "127.0.0.1", "").fqdn());
    }

    @Test
    public void badAddressesAreRefused() {
        assertRefused("node.address", "null", "n1", "", null, "");
        assertRefused("node.address", "", "n1", "", "", "");
        assertRefused("node.address", "256.0.0.1", "n1", "", "256.0.0.1", "");
        assertRefused("node.address", "10.0.0.300", "n1", "", "10.0.0.300", "");
        assertRefused("node.address", "10.0.0", "n1", "", "10.0.0", "");
        assertRefused("node.address", "10.0.0.1.2", "n1", "", "10.0.0.1.2", "");
        assertRefused("node.address", "1234.0.0.1", "n1", "", "1234.0.0.1", "");
        assertRefused("node.address", "fd00::zz", "n1", "", "fd00::zz", "");
        assertRefused("node.address", "1:2:3:4:5:6:7:8:9", "n1", "", "1:2:3:4:5:6:7:8:9", "");
    }

    @Test
    public void hostNamesAreRefusedAsAddress() {
        assertRefused("node.address", "localhost", "n1", "", "localhost", "");
        assertRefused("node.address", "mbox1.example.com", "n1", "", "mbox1.example.com", "");
        assertRefused("node.address", "mail:25", "n1", "", "mail:25", "");
    }

    @Test
    public void unknownRolesAreRefusedNamingEachOne() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NodeConfig.of("n1", "", "127.0.0.1", "core,mailstor,webmail"));
        String m = e.getMessage();
        assertTrue(m, m.startsWith("tandem.node: roles = 'core,mailstor,webmail'"));
        assertTrue(m, m.contains("'mailstor'"));
        assertTrue(m, m.contains("'webmail'"));
        assertTrue("keeps the cause", e.getCause() instanceof IllegalArgumentException);
    }
}
