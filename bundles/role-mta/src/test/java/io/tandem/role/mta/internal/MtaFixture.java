package io.tandem.role.mta.internal;

import io.tandem.api.cluster.ClusterNode;
import io.tandem.api.directory.Server;
import io.tandem.api.node.Role;
import io.tandem.api.test.ClusterServiceAdapter;
import io.tandem.api.test.ConfigProxy;
import io.tandem.api.test.LocalNodeAdapter;
import io.tandem.directory.jdbc.internal.DirectoryComponent;

import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The real parts around an MTA in one JVM: the directory on H2 (example.com with alice and bob on mbox1,
 * carol closed), a cluster where mbox1 is a Mailstore whose lmtp endpoint is a {@link TestLmtpServer}, and
 * the role itself on 127.0.0.1 port 0 with its spool in {@code spool}.
 */
final class MtaFixture implements AutoCloseable {

    final DirectoryComponent directory;
    final ClusterServiceAdapter cluster = new ClusterServiceAdapter();
    final TestLmtpServer lmtp;
    final Path spool;
    private final Map<String, Object> config;
    MtaRole role;

    MtaFixture(Path spool, Map<String, Object> overrides) throws Exception {
        this.spool = spool;
        directory = new DirectoryComponent(List.of(new org.h2.util.OsgiDataSourceFactory(new org.h2.Driver())),
                ConfigProxy.of(DirectoryComponent.Config.class, Map.of("jdbc_url", "jdbc:h2:mem:dir-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1")));
        directory.registerServer(new Server("mbox1", "mbox1.example.com", Set.of(Role.MAILSTORE), Instant.now()));
        directory.createDomain("example.com");
        directory.createAccount("alice@example.com", "mbox1");
        directory.createAccount("bob@example.com", "mbox1");
        directory.createAccount("carol@example.com", "mbox1");
        directory.setAccountStatus("carol@example.com", io.tandem.api.directory.AccountStatus.CLOSED);
        lmtp = new TestLmtpServer();
        mailstoreUp("mbox1", "1");
        config = new HashMap<>(Map.of("smtp_port", 0, "spool_dir", spool.toString(), "retry_initial_ms", 100L,
                "retry_max_seconds", 1L, "route_check_ms", 50L));
        config.putAll(overrides);
        start();
    }

    /** Only {@code name} in the cluster, as a Mailstore with the test LMTP endpoint. */
    void mailstoreUp(String name, String incarnation) {
        cluster.setNodes(mailstore(name, incarnation, lmtp));
    }

    /** A Mailstore member (membership id {@code id-<name>-<incarnation>}) whose lmtp endpoint is {@code server}. */
    ClusterNode mailstore(String name, String incarnation, TestLmtpServer server) {
        return new ClusterNode("id-" + name + "-" + incarnation, name, name + ".example.com", "127.0.0.1", "1",
                Set.of(Role.MAILSTORE), Set.of(), Map.of("lmtp", server.uri()), false);
    }

    void mailstoreGone() {
        cluster.setNodes(List.of());
    }

    void start() throws Exception {
        role = new MtaRole(new LocalNodeAdapter("mta1", "127.0.0.1"), directory, cluster, ConfigProxy.of(MtaRole.Config.class, config));
    }

    void stop() {
        role.deactivate();
    }

    int port() {
        return role.smtpPort();
    }

    @Override
    public void close() throws Exception {
        stop();
        lmtp.close();
        directory.deactivateForTest();
    }
}
