package io.tandem.mailstore.jdbc.internal;

import io.tandem.api.test.ConfigProxy;
import org.junit.Test;
import org.osgi.service.jdbc.DataSourceFactory;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.Assert.assertEquals;
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

    /**
     * The database refuses the commit of a change every hook accepted (replication has committed it to the log
     * by then): the store applies the change once more instead of leaving its copy behind the log, and the
     * caller gets the change. When the second try fails too, the caller gets the error and nothing changed.
     */
    @Test
    public void aChangeWhoseCommitFailsAfterTheHooksAcceptedItIsRolledForward() throws Exception {
        java.util.concurrent.atomic.AtomicInteger failCommits = new java.util.concurrent.atomic.AtomicInteger();
        org.h2.jdbcx.JdbcDataSource h2 = new org.h2.jdbcx.JdbcDataSource();
        h2.setURL(freshDatabase());
        MailstoreDatabase.migrate(h2);
        java.util.concurrent.atomic.AtomicBoolean commitThenFail = new java.util.concurrent.atomic.AtomicBoolean();
        JdbcMailboxStore db = new JdbcMailboxStore(failingCommits(h2, failCommits, commitThenFail), java.time.Clock.systemUTC());
        UUID account = UUID.randomUUID();
        db.create(account);
        java.util.List<io.tandem.api.mailbox.MailboxChange> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicInteger failNext = new java.util.concurrent.atomic.AtomicInteger();
        db.addHook(change -> {
            accepted.add(change);
            failCommits.set(failNext.get()); // the commit right after this hook fails that many times
        });
        long before = db.info(account).orElseThrow().sequence();

        failNext.set(1);
        io.tandem.api.mailbox.MailboxChange work = db.execute(account, 0, tx -> tx.createFolder("Work", null));
        assertEquals("the hooks saw it once", 1, accepted.size());
        assertEquals("it stands, under the sequence the hooks saw", before + 1, db.info(account).orElseThrow().sequence());
        assertEquals(accepted.get(0).stamp(), work.stamp());
        assertTrue(db.folders(account).stream().anyMatch(f -> f.name().equals("Work")));

        failNext.set(0);
        commitThenFail.set(true); // the database commits, then its answer is lost
        io.tandem.api.mailbox.MailboxChange lost = db.execute(account, 0, tx -> tx.createFolder("Lost answer", null));
        assertEquals("it stands once, and the caller gets it", before + 2, db.info(account).orElseThrow().sequence());
        assertEquals(lost.sequence(), db.info(account).orElseThrow().sequence());
        before++;

        failNext.set(2);
        assertThrows(MailstoreUnavailableException.class, () -> db.execute(account, 0, tx -> tx.createFolder("Play", null)));
        assertEquals("nothing changed", before + 1, db.info(account).orElseThrow().sequence());
        assertTrue(db.folders(account).stream().noneMatch(f -> f.name().equals("Play")));
    }

    /**
     * {@code ds}, whose connections' commit throws while {@code failures} is above zero (counting down), and once
     * after committing when {@code commitThenFail} is set (the answer of a commit lost).
     */
    private static javax.sql.DataSource failingCommits(javax.sql.DataSource ds, java.util.concurrent.atomic.AtomicInteger failures,
                                                       java.util.concurrent.atomic.AtomicBoolean commitThenFail) {
        ClassLoader loader = H2MailboxStoreTest.class.getClassLoader();
        return (javax.sql.DataSource) java.lang.reflect.Proxy.newProxyInstance(loader, new Class<?>[] {javax.sql.DataSource.class},
                (proxy, method, args) -> {
                    Object r = invoke(ds, method, args);
                    if (!(r instanceof java.sql.Connection c)) {
                        return r;
                    }
                    return java.lang.reflect.Proxy.newProxyInstance(loader, new Class<?>[] {java.sql.Connection.class}, (p, m, a) -> {
                        if (m.getName().equals("commit") && failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                            throw new java.sql.SQLException("commit refused for the test");
                        }
                        if (m.getName().equals("commit") && commitThenFail.getAndSet(false)) {
                            c.commit();
                            throw new java.sql.SQLException("connection lost after the commit, for the test");
                        }
                        return invoke(c, m, a);
                    });
                });
    }

    private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private MailstoreDatabase open(Map<String, ?> config) {
        return new MailstoreDatabase(List.of(driver()), ConfigProxy.of(MailstoreDatabase.Config.class, config));
    }
}
