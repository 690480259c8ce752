package io.tandem.itests;

import org.junit.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * What the distribution ships: one version of each library in its bundle repository ({@code system/}), from
 * which Karaf installs every role's bundles. Two versions of a library there would let two bundles wire to
 * different copies of its packages.
 */
public class DistributionContentsIT {

    /** {@code <top>/system/<group path>/<artifact>/<version>/<artifact>-<version>[-classifier].<ext>} */
    private static final Pattern ARTIFACT = Pattern.compile("[^/]+/system/(.+)/([^/]+)/([^/]+)/\\2-\\3[^/]*\\.(jar|xml|kar|cfg)");

    @Test
    public void theBundleRepositoryHoldsOneVersionOfEachLibrary() throws Exception {
        Path dist = Path.of(System.getProperty("tandem.dist"));
        assertTrue("no distribution at " + dist, Files.isRegularFile(dist));
        Map<String, Set<String>> versions = new TreeMap<>();
        for (String entry : list(dist)) {
            Matcher m = ARTIFACT.matcher(entry);
            if (m.matches()) {
                versions.computeIfAbsent(m.group(1).replace('/', '.') + ":" + m.group(2), k -> new TreeSet<>()).add(m.group(3));
            }
        }
        assertTrue("too few artifacts found in system/ of " + dist + ": " + versions.size(), versions.size() > 50);
        Map<String, Set<String>> twice = new TreeMap<>();
        versions.forEach((artifact, v) -> {
            if (v.size() > 1) {
                twice.put(artifact, v);
            }
        });
        assertEquals("artifacts in more than one version in system/", Map.of(), twice);
    }

    @Test
    public void theBrokerIsTheKafkaOfTheClient() throws Exception {
        String kafka = System.getProperty("kafka.version");
        List<String> entries = list(Path.of(System.getProperty("tandem.dist")));
        for (String jar : List.of("kafka-clients-" + kafka + ".jar", "kafka_2.13-" + kafka + ".jar")) {
            assertTrue(jar + " missing from kafka/lib: the broker is not the Kafka the client was built with",
                    entries.stream().anyMatch(e -> e.endsWith("/kafka/lib/" + jar)));
        }
        List<String> clients = entries.stream().filter(e -> e.matches(".*/kafka/lib/kafka-clients-[^/]+\\.jar")).toList();
        assertEquals(clients.toString(), 1, clients.size());
    }

    private static List<String> list(Path tarGz) throws IOException, InterruptedException {
        Process tar = new ProcessBuilder("tar", "-tzf", tarGz.toString()).redirectErrorStream(true).start();
        byte[] out = tar.getInputStream().readAllBytes();
        assertTrue("tar did not end", tar.waitFor(60, TimeUnit.SECONDS));
        assertEquals(new String(out, StandardCharsets.UTF_8), 0, tar.exitValue());
        return List.of(new String(out, StandardCharsets.UTF_8).split("\n"));
    }
}
