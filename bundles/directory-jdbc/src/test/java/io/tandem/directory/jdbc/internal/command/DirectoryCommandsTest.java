package io.tandem.directory.jdbc.internal.command;

import io.tandem.api.directory.Server;
import io.tandem.api.node.Role;
import io.tandem.api.test.ConfigProxy;
import io.tandem.directory.jdbc.internal.DirectoryComponent;
import io.tandem.shell.CommandSupport;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/** The prov:, global: and notification: commands on a real (in-memory H2) directory. */
public class DirectoryCommandsTest {

    private DirectoryComponent dir;

    @Before
    public void open() {
        dir = new DirectoryComponent(List.of(new org.h2.util.OsgiDataSourceFactory(new org.h2.Driver())),
                ConfigProxy.of(DirectoryComponent.Config.class,
                        Map.of("jdbc_url", "jdbc:h2:mem:cmd-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1")));
        dir.registerServer(new Server("mbox1", "mbox1.example.com", Set.of(Role.MAILSTORE), Instant.now()));
    }

    @After
    public void close() {
        dir.deactivateForTest();
    }

    private static String run(CommandSupport c) throws Exception {
        PrintStream previous = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            c.execute();
        } finally {
            System.setOut(previous);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    public void provisioningCommandsCreateListAndDelete() throws Exception {
        CreateDomainCommand cd = new CreateDomainCommand();
        cd.directory = dir;
        cd.name = "example.com";
        assertEquals("Domain example.com created\n", run(cd));

        CreateAccountCommand ca = new CreateAccountCommand();
        ca.directory = dir;
        ca.name = "alice@example.com";
        ca.mailHost = "mbox1";
        assertTrue(run(ca).startsWith("Account alice@example.com created on mbox1 (id "));

        GetAllAccountsCommand list = new GetAllAccountsCommand();
        list.directory = dir;
        list.setNoFormat(true);
        String table = list.render();
        assertTrue(table, table.matches("(?s).*alice@example.com\\s+mbox1\\s+1\\s+active\\s+.*"));
        list.setJson(true);
        assertTrue(list.render().contains("\"mailHost\": \"mbox1\""));

        GetDomainCommand gd = new GetDomainCommand();
        gd.directory = dir;
        gd.name = "example.com";
        assertTrue(gd.render(), gd.render().contains("accounts : 1"));

        SetAccountStatusCommand st = new SetAccountStatusCommand();
        st.directory = dir;
        st.name = "alice@example.com";
        st.status = "locked";
        assertEquals("Account alice@example.com is now locked\n", run(st));

        DeleteAccountCommand da = new DeleteAccountCommand();
        da.directory = dir;
        da.name = "alice@example.com";
        run(da);
        assertTrue(dir.accounts(null).isEmpty());
    }

    @Test
    public void refusedCommandsThrowNamingTheValueAndChangeNothing() {
        CreateAccountCommand ca = new CreateAccountCommand();
        ca.directory = dir;
        ca.name = "a*@example.com";
        ca.mailHost = "mbox1";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(ca));
        assertTrue(e.getMessage(), e.getMessage().contains("'a*@example.com' contains a wildcard"));

        SetAccountStatusCommand st = new SetAccountStatusCommand();
        st.directory = dir;
        st.name = "x@example.com";
        st.status = "frozen";
        e = assertThrows(IllegalArgumentException.class, () -> run(st));
        assertTrue(e.getMessage(), e.getMessage().contains("'frozen'"));
        assertTrue(dir.accounts(null).isEmpty());
    }

    @Test
    public void globalConfigurationIsSetAndRead() throws Exception {
        GlobalSetCommand set = new GlobalSetCommand();
        set.directory = dir;
        set.key = "brokers";
        set.value = "h1:9092,h2:9092";
        assertEquals("Global brokers = h1:9092,h2:9092\n", run(set));

        GlobalGetCommand get = new GlobalGetCommand();
        get.directory = dir;
        get.key = "brokers";
        assertEquals("brokers : h1:9092,h2:9092\n", get.render());
        get.setJson(true);
        assertTrue(get.render().contains("\"brokers\": \"h1:9092,h2:9092\""));

        GlobalSetCommand both = new GlobalSetCommand();
        both.directory = dir;
        both.key = "brokers";
        both.value = "x";
        both.remove = true;
        assertThrows(IllegalArgumentException.class, () -> run(both));
        assertEquals("h1:9092,h2:9092", dir.global("brokers").orElseThrow());
    }

    /**
     * An event log that answers which cluster a broker list belongs to, and uses the directory's brokers from its
     * {@code lag}-th look on after each change (as the real one, which polls the global).
     */
    private io.tandem.api.replication.EventLog clusters(Map<String, String> idByBrokers, int lag) {
        String[] used = {dir.global("brokers").orElse("")};
        int[] looks = {0};
        return (io.tandem.api.replication.EventLog) java.lang.reflect.Proxy.newProxyInstance(
                DirectoryCommandsTest.class.getClassLoader(), new Class<?>[] {io.tandem.api.replication.EventLog.class},
                (proxy, m, args) -> {
                    if (m.getName().equals("clusterId")) {
                        return java.util.Optional.ofNullable(idByBrokers.get((String) args[0]));
                    }
                    if (m.getName().equals("brokers")) {
                        String global = dir.global("brokers").orElse("");
                        if (!global.equals(used[0]) && ++looks[0] >= lag) {
                            used[0] = global;
                            looks[0] = 0;
                        }
                        return used[0];
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
    }

    private io.tandem.api.replication.EventLog clusters(Map<String, String> idByBrokers) {
        return clusters(idByBrokers, 1);
    }

    private GlobalSetCommand setBrokers(String value, io.tandem.api.replication.EventLog log) {
        GlobalSetCommand c = new GlobalSetCommand();
        c.directory = dir;
        c.log = log;
        c.key = "brokers";
        c.value = value;
        c.remove = value == null;
        return c;
    }

    /**
     * While replicas follow the log, the brokers may change within their Kafka cluster only: a switch to another
     * cluster would acknowledge sources on one cluster while replicas and promotion markers are on the other.
     */
    @Test
    public void theBrokersMoveToAnotherClusterOnlyWhileNoReplicaFollowsTheLog() throws Exception {
        io.tandem.api.replication.EventLog log = clusters(Map.of("k1:9092", "A", "k1:9092,k2:9092", "A", "x1:9092", "B"));
        run(setBrokers("k1:9092", log));
        dir.createDomain("example.com");
        var alice = dir.createAccount("alice@example.com", "mbox1");
        dir.registerServer(new Server("mbox2", "mbox2.example.com", Set.of(Role.MAILSTORE), Instant.now()));
        dir.addReplica(alice.id(), "mbox2", 10, null);

        IllegalArgumentException other = assertThrows(IllegalArgumentException.class, () -> run(setBrokers("x1:9092", log)));
        assertTrue(other.getMessage(), other.getMessage().startsWith("global:set refused: brokers x1:9092: 'x1:9092' is another "
                + "Kafka cluster (B) than 'k1:9092' (A), while 1 replica(s) follow the event log: pause them first"));
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> run(setBrokers("y1:9092", log)));
        assertTrue(unknown.getMessage(), unknown.getMessage().contains("cannot tell whether 'y1:9092' is the same Kafka cluster"));
        assertThrows(IllegalArgumentException.class, () -> run(setBrokers(null, log)));
        assertThrows("without the event log on this node", IllegalArgumentException.class, () -> run(setBrokers("x1:9092", null)));
        assertEquals("nothing changed", "k1:9092", dir.global("brokers").orElseThrow());

        assertEquals("Global brokers = k1:9092,k2:9092 (in use on this node)\n", run(setBrokers("k1:9092,k2:9092", log))); // a broker added
        dir.setReplicaState(alice.id(), "mbox2", io.tandem.api.directory.Replica.PAUSED, "");
        assertEquals("every replica paused: the switch is allowed", "Global brokers = x1:9092 (in use on this node)\n",
                run(setBrokers("x1:9092", log)));
    }

    /**
     * global:set brokers returns once this node's event log uses the new brokers, so that the next command of the
     * same script finds replication enabled; a log that does not pick them up is reported, not waited for forever.
     */
    @Test
    public void settingTheBrokersWaitsUntilThisNodesEventLogUsesThem() throws Exception {
        io.tandem.api.replication.EventLog slow = clusters(Map.of(), 5);
        assertEquals("Global brokers = k1:9092, k2:9092 (in use on this node)\n", run(setBrokers("k1:9092, k2:9092", slow)));
        assertEquals("k1:9092, k2:9092", slow.brokers());
        assertEquals("Global brokers removed (replication disabled on this node)\n", run(setBrokers(null, slow)));

        io.tandem.api.replication.EventLog stuck = clusters(Map.of(), Integer.MAX_VALUE);
        GlobalSetCommand set = setBrokers("k3:9092", stuck);
        set.inUseWait = java.time.Duration.ofMillis(300);
        assertEquals("Global brokers = k3:9092 (this node's event log still uses '' after 300 ms: see cluster:check)\n", run(set));
        assertEquals("the global is set all the same", "k3:9092", dir.global("brokers").orElseThrow());
    }
}
