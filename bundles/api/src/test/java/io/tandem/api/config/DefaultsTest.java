package io.tandem.api.config;

import org.junit.Test;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class DefaultsTest {

    @interface Config {
        int port() default 9092;

        String heap() default "512m";

        double stop_timeout_seconds() default 20;

        boolean enabled() default true;
    }

    @interface Incomplete {
        int port() default 1;

        String name();
    }

    @Test
    public void eachElementAnswersItsDefault() {
        Config d = Defaults.of(Config.class);
        assertEquals(9092, d.port());
        assertEquals("512m", d.heap());
        assertEquals(20.0, d.stop_timeout_seconds(), 0);
        assertTrue(d.enabled());
        assertEquals(Config.class, ((java.lang.annotation.Annotation) d).annotationType());
    }

    @Test
    public void anElementWithoutDefaultFailsWhenAskedNamingIt() {
        Incomplete d = Defaults.of(Incomplete.class);
        assertEquals(1, d.port());
        IllegalStateException e = assertThrows(IllegalStateException.class, d::name);
        assertTrue(e.getMessage(), e.getMessage().endsWith("Incomplete.name() has no default"));
        assertThrows(IllegalArgumentException.class, () -> Defaults.of(String.class));
    }
}
