package io.tandem.replication.internal;

import io.tandem.api.directory.Notification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Watches the replica applier for a call that does not return. Every call of the applier (a batch, a refresh)
 * holds its lock, and a call blocked for good (a database or a broker that never answers, a lock never
 * released) stops every copy of the node while their replica rows still say {@code in-sync}. Past
 * {@code applier.stall.ms} the stall is logged once with the blocked thread's stack (where it waits) and told to
 * the administrator; the node's status says {@link NodeStatus#STALLED}, so its copies are not promotion targets;
 * when the applier moves again that is logged too.
 */
final class ApplierWatchdog {

    private static final Logger LOG = LoggerFactory.getLogger(ApplierWatchdog.class);

    /** What is told to the administrator (severity, subject, body). */
    interface Notifier {
        void notify(Notification.Severity severity, String subject, String body);
    }

    static final long MIN_STALL_MILLIS = 5000;
    static final long MAX_STALL_MILLIS = 3_600_000;

    private final String node;
    private final Supplier<Optional<Applier.Activity>> activity;
    private final long stallNanos;
    private final LongSupplier nanos;
    private final Notifier notifier;
    /** The stalled call last reported, null: none. Only the watchdog's thread writes it. */
    private volatile Applier.Activity reported;

    ApplierWatchdog(String node, Supplier<Optional<Applier.Activity>> activity, long stallMillis, LongSupplier nanos,
                    Notifier notifier) {
        long bounded = Math.max(MIN_STALL_MILLIS, Math.min(MAX_STALL_MILLIS, stallMillis));
        if (bounded != stallMillis) {
            // a bad value must not stop replication on the node: the nearest allowed one is used, and said
            LOG.error("applier.stall.ms = {} in etc/tandem.replication.cfg is not from {} to {}: {} is used", stallMillis,
                    MIN_STALL_MILLIS, MAX_STALL_MILLIS, bounded);
        }
        this.node = node;
        this.activity = activity;
        this.stallNanos = TimeUnit.MILLISECONDS.toNanos(bounded);
        this.nanos = nanos;
        this.notifier = notifier;
    }

    /** What the applier has been stuck in and for how long, when it is stalled now. */
    Optional<String> stalled() {
        Optional<Applier.Activity> a = activity.get();
        long now = nanos.getAsLong();
        return a.filter(x -> now - x.sinceNanos() >= stallNanos).map(x -> describe(x, now));
    }

    private static String describe(Applier.Activity a, long now) {
        return a.what() + " for " + TimeUnit.NANOSECONDS.toSeconds(now - a.sinceNanos()) + " s";
    }

    /** One look: reports a new stall, and the end of the one reported. Never throws. */
    void check() {
        try {
            Applier.Activity a = activity.get().orElse(null);
            long now = nanos.getAsLong();
            Applier.Activity was = reported;
            if (was != null && a != was) {
                reported = null;
                String subject = "Replica applier on " + node + " moves again";
                LOG.warn("{}: it was {} and stalled for {} s", subject, was.what(), TimeUnit.NANOSECONDS.toSeconds(now - was.sinceNanos()));
                notifier.notify(Notification.Severity.INFO, subject, "It was " + was.what() + " and stalled for "
                        + TimeUnit.NANOSECONDS.toSeconds(now - was.sinceNanos()) + " s; its copies catch up from the log.");
            }
            if (a == null || a == was || now - a.sinceNanos() < stallNanos) {
                return;
            }
            reported = a;
            String stack = Arrays.stream(a.thread().getStackTrace()).map(f -> "\tat " + f).collect(Collectors.joining("\n"));
            String subject = "Replica applier on " + node + " stalled";
            LOG.error("{}: {} (thread {}); its replica copies are not kept up and are not promotion targets until it moves "
                    + "again. Where it waits:\n{}", subject, describe(a, now), a.thread().getName(), stack);
            notifier.notify(Notification.Severity.WARNING, subject, "It has been " + describe(a, now) + " (thread "
                    + a.thread().getName() + "); its replica copies are not kept up and are not chosen by promotions until "
                    + "it moves again. The node's log has the thread's stack. Check its mailbox database, the directory "
                    + "database and the event log; a restart of the node ends it.");
        } catch (RuntimeException e) {
            LOG.warn("Replica applier watchdog on {}: {}", node, e.toString());
        }
    }
}
