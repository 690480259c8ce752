package io.tandem.directory.jdbc.internal;

import io.tandem.api.directory.Account;
import io.tandem.api.test.ConfigProxy;
import org.junit.Test;
import org.osgi.service.jdbc.DataSourceFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

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

    /**
     * The claims' migration (decision 0027): an account its owner took over (no replica row of its own) is claimed
     * by it under its epoch; an account whose take-over never finished (its owner keeps its own replica row) has no
     * claimant, so it is never given back to a copy that may lack changes.
     */
    @Test
    public void theMigrationClaimsTakenOverAccountsForTheirOwnerAndLeavesUnfinishedTakeOversWithoutClaimant() throws Exception {
        String url = "jdbc:h2:mem:dir-v3-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        UUID done = UUID.randomUUID();
        UUID unfinished = UUID.randomUUID();
        try (Connection c = DriverManager.getConnection(url)) {
            org.flywaydb.core.Flyway.configure(getClass().getClassLoader()).dataSource(url, "", "")
                    .locations("classpath:db/directory").table("directory_schema_history").target("3").load().migrate();
            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO domains (name, created_ms) VALUES ('example.com', 0)");
                s.execute("INSERT INTO accounts (id, name, domain, mail_host, epoch, status, created_ms) VALUES ('" + done
                        + "', 'done@example.com', 'example.com', 'mbox2', 4, 'ACTIVE', 0)");
                s.execute("INSERT INTO accounts (id, name, domain, mail_host, epoch, status, created_ms) VALUES ('" + unfinished
                        + "', 'unfinished@example.com', 'example.com', 'mbox2', 3, 'ACTIVE', 0)");
                s.execute("INSERT INTO replicas (account_id, destination, priority, state) VALUES ('" + done + "', 'mbox1', 10, 'in-sync')");
                s.execute("INSERT INTO replicas (account_id, destination, priority, state) VALUES ('" + unfinished
                        + "', 'mbox2', 10, 'failed')");
                s.execute("INSERT INTO replicas (account_id, destination, priority, state) VALUES ('" + unfinished
                        + "', 'mbox1', 10, 'initialising')");
            }
            DirectoryComponent d = new DirectoryComponent(List.of(driver()),
                    ConfigProxy.of(DirectoryComponent.Config.class, Map.of("jdbc_url", url, "owner_cache_ttl_seconds", 3600)));
            try {
                Account a = d.account(done).orElseThrow();
                assertTrue(a.claimed());
                assertEquals(4, a.claimedEpoch());
                Account b = d.account(unfinished).orElseThrow();
                assertFalse(b.claimed());
                assertEquals("", b.claimedHost());
                assertEquals("no claimant to give it back to", java.util.Arrays.asList((Account) null), d.giveBack(List.of(
                        new io.tandem.api.directory.DirectoryAdminService.OwnerChange(unfinished, "mbox2", 3, "mbox1"))));
            } finally {
                d.deactivateForTest();
            }
        }
    }
}
