package io.tandem.api.node;

import org.junit.Test;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class HealthTest {

    @Test
    public void upAndDown() {
        Health up = Health.up("all good");
        assertTrue(up.up());
        assertEquals("UP", up.status());
        assertEquals("all good", up.detail());

        Health down = Health.down("disk full");
        assertFalse(down.up());
        assertEquals("DOWN", down.status());
        assertEquals("disk full", down.detail());
    }

    @Test
    public void valueEquality() {
        assertEquals(Health.up("x"), new Health(true, "x"));
        assertFalse(Health.up("x").equals(Health.down("x")));
    }

    @Test
    public void detailIsRequired() {
        assertThrows(NullPointerException.class, () -> Health.up(null));
        assertThrows(NullPointerException.class, () -> Health.down(null));
    }
}
