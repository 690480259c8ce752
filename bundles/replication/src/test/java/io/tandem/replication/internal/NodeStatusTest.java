package io.tandem.replication.internal;

import org.junit.Test;

import java.util.List;
import java.util.UUID;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/** The text form of a Mailstore's replication status, as it travels between nodes of different versions. */
public class NodeStatusTest {

    private static final UUID REQUEST = UUID.fromString("9b0e2c8e-3f51-4d6b-9a5e-0c1f6b7d2a10");
    private static final UUID ACCOUNT = UUID.fromString("0f3c5a1e-7d2b-4c8e-9a61-2b4d6f8a0c1e");

    @Test
    public void aStatusComesBackAsItWasSent() {
        NodeStatus sent = new NodeStatus(REQUEST, "mbox2", true, -1, "h1:9092,h2:9092", NodeStatus.IDLE,
                List.of(new NodeStatus.Box(ACCOUNT, 7, 42, 99, "in-sync", 1000, 990, 1, "tab\there")));
        NodeStatus received = NodeStatus.decode(sent.encode());
        assertEquals(NodeStatus.IDLE, received.applier());
        assertEquals(-1, received.subscriptionLag());
        assertEquals("tab here", received.boxes().get(0).detail());
        assertEquals(sent.boxes().get(0).sequence(), received.boxes().get(0).sequence());
        assertEquals(sent.brokers(), received.brokers());
    }

    @Test
    public void aNodeThatDoesNotSendItsApplierStateIsReadAsRunning() {
        String older = REQUEST + "\tmbox1\t1\t0\th1:9092\n" + ACCOUNT + "\t7\t42\t99\tlocal\t0\t0\t0\t\n";
        NodeStatus received = NodeStatus.decode(older);
        assertEquals(NodeStatus.RUNNING, received.applier());
        assertEquals("", received.applierDetail());
        assertFalse(received.stalled());
        assertEquals("mbox1", received.node());
        assertEquals(1, received.boxes().size());
    }

    @Test
    public void aStalledApplierSaysWhatItIsStuckIn() {
        NodeStatus sent = new NodeStatus(REQUEST, "mbox3", true, 12, "h1:9092", NodeStatus.STALLED,
                "handling 3 record(s) from the log\tfor 75 s", List.of());
        NodeStatus received = NodeStatus.decode(sent.encode());
        assertTrue(received.stalled());
        assertEquals("handling 3 record(s) from the log for 75 s", received.applierDetail());
        assertTrue(received.boxes().isEmpty());
        // a node of the version before the detail reads the applier state and ignores the rest
        assertEquals(NodeStatus.STALLED, sent.encode().split("\n")[0].split("\t", -1)[5]);
    }
}
