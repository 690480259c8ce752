package io.tandem.replication.internal;

import io.tandem.api.directory.DirectoryService;
import io.tandem.api.directory.Replica;

import java.time.Clock;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Which accounts the {@link Publisher} must publish (at least one replica not paused), without a directory
 * read for every change (docs/decisions/0018).
 *
 * <p>Only the answer "replicated" is remembered. A remembered answer that is no longer true (a replica
 * removed or paused since) costs an append nobody applies; an answer "not replicated" is never taken from
 * memory, so a replica just added is published to from the first change after its row exists, whichever
 * node added it and whether or not the announcement arrived. What is remembered is forgotten when replica
 * rows change anywhere ({@link #forgetAll()}, on the cluster's "replicas changed" announcement) and after
 * {@link #TTL_MILLIS} at the latest (an announcement lost in a partition).
 */
final class ReplicatedAccounts {

    /** How long "replicated" is believed without the directory confirming it. */
    static final long TTL_MILLIS = 10_000;

    private final DirectoryService directory;
    private final Clock clock;
    /** Account -> when the directory last said it is replicated. */
    private final Map<UUID, Long> replicated = new ConcurrentHashMap<>();
    /** Moved by {@link #forgetAll()}: a directory read that began before it is not remembered. */
    private final AtomicLong generation = new AtomicLong();

    ReplicatedAccounts(DirectoryService directory, Clock clock) {
        this.directory = directory;
        this.clock = clock;
    }

    /** Whether changes of the account are published: remembered if the directory said so lately, else read. */
    boolean replicated(UUID accountId) {
        long now = clock.millis();
        Long seen = replicated.get(accountId);
        if (seen != null && now - seen < TTL_MILLIS) {
            return true;
        }
        long before = generation.get();
        boolean yes = false;
        for (Replica r : directory.replicas(accountId)) {
            if (!r.paused()) {
                yes = true;
                break;
            }
        }
        if (!yes) {
            replicated.remove(accountId);
        } else if (generation.get() == before) {
            replicated.put(accountId, now);
            if (generation.get() != before) { // forgotten meanwhile: what was read may predate the change announced
                replicated.remove(accountId);
            }
        }
        return yes;
    }

    /** Replica rows changed somewhere: every account is read from the directory again. */
    void forgetAll() {
        generation.incrementAndGet();
        replicated.clear();
    }

    /** How many accounts are remembered as replicated (tests). */
    int remembered() {
        return replicated.size();
    }
}
