package io.tandem.mailstore.jdbc.internal;

import io.tandem.api.test.ConfigProxy;
import org.junit.Test;
import org.osgi.service.jdbc.DataSourceFactory;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/** The mailbox store contract on H2 (the embedded default), in memory; and the component's configuration checks. */
public class H2MailboxStoreTest extends MailboxStoreContract {

    @Override
    protected String freshDatabase() {
        return "jdbc:h2:mem:mailstore-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000";
    }

    @Override
    protected DataSourceFactory driver() {
        return new org.h2.util.OsgiDataSourceFactory(new org.h2.Driver());
    }

    @Test
    public void invalidConfigurationFailsNamingPidKeyAndValue() {
        IllegalArgumentException url = assertThrows(IllegalArgumentException.class, () -> open(Map.of("jdbc_url", "jdbc:oracle:thin:@x")));
        assertTrue(url.getMessage(), url.getMessage().startsWith("tandem.mailstore.db: jdbc.url = 'jdbc:oracle:thin:@x'"));
        IllegalArgumentException pool = assertThrows(IllegalArgumentException.class,
                () -> open(Map.of("jdbc_url", freshDatabase(), "pool_size", 0)));
        assertTrue(pool.getMessage(), pool.getMessage().contains("pool.size = 0"));
        IllegalStateException driver = assertThrows(IllegalStateException.class, () -> new MailstoreDatabase(List.of(),
                ConfigProxy.of(MailstoreDatabase.Config.class, Map.of("jdbc_url", freshDatabase()))));
        assertTrue(driver.getMessage(), driver.getMessage().contains("no JDBC driver org.h2.Driver"));
    }

    @Test
    public void theDefaultUrlIsUnderKarafData() {
        String before = System.getProperty("karaf.data");
        try {
            System.clearProperty("karaf.data");
            IllegalArgumentException unset = assertThrows(IllegalArgumentException.class, () -> open(Map.of()));
            assertTrue(unset.getMessage(), unset.getMessage().contains("${karaf.data}"));
            System.setProperty("karaf.data", "/srv/karaf/data");
            assertTrue(MailstoreDatabase.url(ConfigProxy.of(MailstoreDatabase.Config.class, Map.of()))
                    .startsWith("jdbc:h2:file:/srv/karaf/data/mailstore/mailboxes;"));
        } finally {
            if (before == null) {
                System.clearProperty("karaf.data");
            } else {
                System.setProperty("karaf.data", before);
            }
        }
    }

    private MailstoreDatabase open(Map<String, ?> config) {
        return new MailstoreDatabase(List.of(driver()), ConfigProxy.of(MailstoreDatabase.Config.class, config));
    }
}
