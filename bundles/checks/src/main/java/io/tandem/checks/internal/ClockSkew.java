package io.tandem.checks.internal;

import io.tandem.api.cluster.ClusterMessageListener;
import io.tandem.api.cluster.ClusterMessaging;
import io.tandem.api.node.LocalNode;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Clock offsets of the other members, measured over the cluster topic: a request carries an id, every
 * member answers with its wall clock; the offset of a member is its time minus the midpoint of the round
 * trip, known to within half the round trip (as NTP estimates it). Every node answers requests.
 */
@Component(service = {ClockSkew.class, ClusterMessageListener.class}, property = {
        ClusterMessageListener.TOPIC_PROPERTY + "=" + ClockSkew.REQUEST,
        ClusterMessageListener.TOPIC_PROPERTY + "=" + ClockSkew.REPLY})
public class ClockSkew implements ClusterMessageListener {

    static final String REQUEST = "tandem.checks.time-request";
    static final String REPLY = "tandem.checks.time-reply";

    /** A member's offset: {@code offsetMillis} ± {@code uncertaintyMillis} (half the round trip). */
    public record Sample(String node, long offsetMillis, long uncertaintyMillis) {
    }

    private final ClusterMessaging messaging;
    private final String self;
    private final Map<UUID, Pending> pending = new ConcurrentHashMap<>();

    private static final class Pending {
        final long sentMillis;
        final Set<String> waiting;
        final Map<String, Sample> samples = new ConcurrentHashMap<>();
        final CountDownLatch done = new CountDownLatch(1);

        Pending(long sentMillis, Set<String> expected) {
            this.sentMillis = sentMillis;
            this.waiting = ConcurrentHashMap.newKeySet();
            waiting.addAll(expected);
            if (expected.isEmpty()) {
                done.countDown();
            }
        }
    }

    @Activate
    public ClockSkew(@Reference ClusterMessaging messaging, @Reference LocalNode node) {
        this.messaging = messaging;
        this.self = node.identity().name();
    }

    /** Asks every member in {@code others}; returns the samples that came back within {@code waitMillis}. */
    public Map<String, Sample> measure(Set<String> others, long waitMillis) {
        UUID id = UUID.randomUUID();
        Pending p = new Pending(System.currentTimeMillis(), others);
        pending.put(id, p);
        try {
            messaging.publish(REQUEST, id + " " + self);
            p.done.await(waitMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            pending.remove(id);
        }
        return Map.copyOf(p.samples);
    }

    @Override
    public void onMessage(String topic, String message) {
        String[] w = message.trim().split(" ");
        try {
            if (topic.equals(REQUEST) && w.length == 2 && !w[1].equals(self)) {
                messaging.publish(REPLY, w[0] + " " + w[1] + " " + self + " " + System.currentTimeMillis());
            } else if (topic.equals(REPLY) && w.length == 4 && w[1].equals(self)) {
                long received = System.currentTimeMillis();
                Pending p = pending.get(UUID.fromString(w[0]));
                if (p != null) {
                    long remote = Long.parseLong(w[3]);
                    long rtt = Math.max(0, received - p.sentMillis);
                    p.samples.put(w[2], new Sample(w[2], remote - (p.sentMillis + rtt / 2), (rtt + 1) / 2));
                    p.waiting.remove(w[2]);
                    if (p.waiting.isEmpty()) {
                        p.done.countDown();
                    }
                }
            }
        } catch (RuntimeException e) {
            // a malformed message from another version: not an answer
        }
    }
}
