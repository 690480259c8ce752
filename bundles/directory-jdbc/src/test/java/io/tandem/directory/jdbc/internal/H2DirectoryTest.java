package io.tandem.directory.jdbc.internal;

import org.osgi.service.jdbc.DataSourceFactory;

import java.util.UUID;

/** The directory contract on H2 (the embedded default), in memory. */
public class H2DirectoryTest extends DirectoryContract {

    @Override
    protected String freshDatabase() {
        return "jdbc:h2:mem:dir-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
    }

    @Override
    protected String expectedRole() {
        return io.tandem.api.directory.DatabaseStatus.STANDALONE;
    }

    @Override
    protected DataSourceFactory driver() {
        return new org.h2.util.OsgiDataSourceFactory(new org.h2.Driver());
    }
}
