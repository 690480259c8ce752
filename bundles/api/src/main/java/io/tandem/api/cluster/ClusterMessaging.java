package io.tandem.api.cluster;

/**
 * Best-effort notifications to every live member (this one included), e.g. "the owner of account X
 * changed". In order per sender; a member that is partitioned away misses them, so receivers must
 * treat them as hints backed by a source of truth (the directory database), never as truth.
 */
public interface ClusterMessaging {

    void publish(String topic, String message);
}
