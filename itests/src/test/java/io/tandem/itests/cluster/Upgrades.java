package io.tandem.itests.cluster;

import io.tandem.api.mailbox.MailboxChange;
import io.tandem.api.mailbox.MailboxOp;
import io.tandem.replication.internal.Event;
import io.tandem.replication.internal.EventCodec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.Assert.assertTrue;

/**
 * What the upgrade tests need to make "newer" releases of the replication bundles without touching the
 * product: the built bundles re-packaged with a higher Bundle-Version, a feature repository of that version,
 * the bundle versions a node runs, its thread names, and events of a newer encoding written straight into
 * the topic with a plain Kafka producer.
 */
final class Upgrades {

    static final String REPLICATION = "tandem-replication";
    static final String REPLICA_KAFKA = "tandem-replica-kafka";
    static final String TOPIC = "tandem.mailbox-events";
    private static final Pattern BUNDLE_LINE = Pattern.compile("^\\s*(\\d+)\\s+(\\S+)\\s+(\\d+)\\s+(\\S+)\\s+(.*)$");

    private Upgrades() {
    }

    /** The jar of {@code artifact} as the distribution of {@code node} ships it (its system/ folder). */
    static Path shipped(Harness harness, String node, String artifact) {
        String version = System.getProperty("tandem.version");
        Path jar = Path.of(harness.run(30, "dir", node).trim()).resolve("system/io/tandem").resolve(artifact)
                .resolve(version).resolve(artifact + "-" + version + ".jar");
        assertTrue(jar + " exists", Files.isRegularFile(jar));
        return jar;
    }

    /** A copy of the bundle {@code jar} whose manifest says Bundle-Version {@code version}; nothing else changes. */
    static Path rebundle(Path jar, String version, Path dir) throws IOException {
        Files.createDirectories(dir);
        String name = jar.getFileName().toString().replaceFirst("-\\d.*\\.jar$", "");
        Path out = dir.resolve(name + "-" + version + ".jar");
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            Manifest manifest = in.getManifest();
            manifest.getMainAttributes().put(new Attributes.Name("Bundle-Version"), version);
            try (JarOutputStream o = new JarOutputStream(Files.newOutputStream(out), manifest)) {
                for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                    o.putNextEntry(new JarEntry(e.getName()));
                    in.transferTo(o);
                    o.closeEntry();
                }
            }
        }
        return out;
    }

    /**
     * A feature repository holding {@code tandem-replica-kafka} and {@code tandem-replication} in {@code version},
     * made of the bundles shipped on {@code node} re-packaged with that version: what a release of those two
     * bundles looks like to an operator.
     */
    static Path featureRepository(Harness harness, String node, String version, Path dir) throws IOException {
        Path kafka = rebundle(shipped(harness, node, REPLICA_KAFKA), version, dir);
        Path replication = rebundle(shipped(harness, node, REPLICATION), version, dir);
        String shell = "mvn:io.tandem/tandem-shell/" + System.getProperty("tandem.version");
        String xml = """
                <?xml version="1.0" encoding="UTF-8"?>
                <features name="tandem-replication-%1$s" xmlns="http://karaf.apache.org/xmlns/features/v1.6.0">
                  <feature name="tandem-replica-kafka" version="%1$s" description="Tandem replication event log on Apache Kafka">
                    <feature>scr</feature>
                    <feature>tandem-api</feature>
                    <feature>tandem-directory</feature>
                    <bundle start-level="80">%2$s</bundle>
                  </feature>
                  <feature name="tandem-replication" version="%1$s" description="Tandem Active Replica: publisher, applier, ha:* commands">
                    <feature>scr</feature>
                    <feature>shell</feature>
                    <feature>tandem-api</feature>
                    <bundle start-level="75">%4$s</bundle>
                    <bundle start-level="80">%3$s</bundle>
                  </feature>
                </features>
                """.formatted(version, kafka.toUri(), replication.toUri(), shell);
        Path repo = dir.resolve("tandem-replication-" + version + "-features.xml");
        Files.writeString(repo, xml);
        return repo;
    }

    /** Installs {@code version} of both replication features on {@code node} from {@code repository}, in place. */
    static String featureUpgrade(Harness harness, String node, Path repository, String version) {
        show(harness, node, "feature", "repo-add", repository.toUri().toString());
        return show(harness, node, "feature", "install", "-u", "-v", REPLICA_KAFKA + "/" + version, REPLICATION + "/" + version);
    }

    /** Bundle name -> version of the Tandem bundles {@code node} runs (bundle:list). */
    static Map<String, String> bundles(Harness harness, String node) {
        Map<String, String> out = new HashMap<>();
        for (String line : harness.exec(node, "bundle", "list", "-t", "0", "--no-format").split("\n")) {
            Matcher m = BUNDLE_LINE.matcher(line);
            if (m.find() && m.group(5).startsWith("Tandem ::")) {
                String before = out.put(m.group(5).trim(), m.group(4));
                // side by side would mean two publishers and two appliers on one node: an upgrade replaces in place
                assertTrue(node + " runs " + m.group(5).trim() + " twice: " + before + " and " + m.group(4), before == null);
            }
        }
        return out;
    }

    /** Versions of the two replication bundles on {@code node}: [replica-kafka, replication]. */
    static List<String> replicationVersions(Harness harness, String node) {
        Map<String, String> b = bundles(harness, node);
        return List.of(String.valueOf(b.get("Tandem :: Replication event log (Kafka adapter)")),
                String.valueOf(b.get("Tandem :: Active Replica")));
    }

    /** Runs a command on {@code node} and prints it with its output (the upgrade procedure's examples come from these). */
    static String show(Harness harness, String node, String scope, String command, String... args) {
        String out = harness.exec(node, scope, command, args);
        System.out.printf("%s> %s:%s %s%n%s%n", node, scope, command, String.join(" ", args), out.stripTrailing());
        return out;
    }

    /** How many live threads of {@code node} have a name starting with {@code prefix} (shell:threads). */
    static long threads(Harness harness, String node, String prefix) {
        return harness.exec(node, "shell", "threads").lines().filter(l -> l.startsWith("\"" + prefix)).count();
    }

    // ------------------------------------------------------------------ events of a newer encoding

    /** A change creating a folder: valid as the next change of a mailbox at {@code sequence} / {@code itemId}. */
    static MailboxChange folderCreation(UUID account, long epoch, long sequence, long itemId, String name) {
        return new MailboxChange(account, epoch, sequence + 1, itemId + 1,
                List.of(new MailboxOp.CreateFolder(itemId + 1, name, null)), System.currentTimeMillis());
    }

    /**
     * The change encoded as a later minor version would write it: the same major version, with fields appended
     * to the event body and to the body of its (single) operation, which this version's reader must skip.
     */
    static byte[] withAppendedFields(MailboxChange change) throws IOException {
        assertTrue(change.ops().size() == 1);
        ByteBuffer event = ByteBuffer.wrap(EventCodec.encode(new Event.Change(change)));
        byte[] header = new byte[4];
        event.get(header);
        byte[] body = new byte[event.getInt()];
        event.get(body);
        ByteBuffer b = ByteBuffer.wrap(body);
        byte[] fixed = new byte[16 + 4 * 8 + 4]; // account, epoch, sequence, item id, committed, op count
        b.get(fixed);
        int tag = b.get();
        byte[] op = new byte[b.getInt()];
        b.get(op);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataOutputStream o = new DataOutputStream(out);
        byte[] opExtra = extra("an operation field of a later version");
        byte[] eventExtra = extra("an event field of a later version");
        o.write(header);
        o.writeInt(fixed.length + 1 + 4 + op.length + opExtra.length + eventExtra.length);
        o.write(fixed);
        o.writeByte(tag);
        o.writeInt(op.length + opExtra.length);
        o.write(op);
        o.write(opExtra);
        o.write(eventExtra);
        return out.toByteArray();
    }

    private static byte[] extra(String text) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataOutputStream o = new DataOutputStream(out);
        o.writeLong(42);
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        o.writeInt(t.length);
        o.write(t);
        return out.toByteArray();
    }

    /** The change encoded under the next major version, which this version's reader must refuse. */
    static byte[] asNextMajor(MailboxChange change) {
        byte[] bytes = EventCodec.encode(new Event.Change(change));
        bytes[2] = (byte) (EventCodec.MAJOR + 1);
        return bytes;
    }

    /** Writes one record into the account's partition of the replication topic (acks=all). */
    static RecordMetadata write(String brokers, UUID account, byte[] value) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            return producer.send(new ProducerRecord<>(TOPIC, account.toString(), value)).get(30, TimeUnit.SECONDS);
        }
    }
}
