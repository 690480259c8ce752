package io.tandem.mailstore.jdbc.internal;

import io.tandem.api.test.PostgresFixture;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.osgi.service.jdbc.DataSourceFactory;

import java.nio.file.Path;

/**
 * The mailbox store contract on a real PostgreSQL server, started by scripts/infra/postgres.sh
 * ({@link PostgresFixture}); primary and replica are two databases of it. Fails (never skips) when the
 * server cannot be started.
 */
public class PostgresMailboxStoreIT extends MailboxStoreContract {

    private static PostgresFixture postgres;

    @BeforeClass
    public static void startPostgres() throws Exception {
        postgres = PostgresFixture.start(Path.of("target", "postgres"));
    }

    @AfterClass
    public static void stopPostgres() throws Exception {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Override
    protected String freshDatabase() throws Exception {
        return postgres.createDatabase("mbx_");
    }

    @Override
    protected DataSourceFactory driver() {
        return new org.postgresql.osgi.PGDataSourceFactory();
    }
}
