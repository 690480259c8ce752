package io.tandem.api.concurrent;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Thread factories of Tandem's executors. Every thread is a daemon (a node stops through its bundles'
 * deactivation, never by waiting for a thread) and has a name a thread dump can be read by.
 */
public final class Threads {

    private Threads() {
    }

    /** Threads all named {@code name}: for a single-thread executor. */
    public static ThreadFactory named(String name) {
        check(name);
        return r -> daemon(r, name);
    }

    /** Threads named {@code prefix-1}, {@code prefix-2}, ...: for a pool. */
    public static ThreadFactory numbered(String prefix) {
        check(prefix);
        AtomicInteger n = new AtomicInteger();
        return r -> daemon(r, prefix + "-" + n.incrementAndGet());
    }

    /** A daemon thread (not started) that runs {@code task} under {@code name}. */
    public static Thread daemon(Runnable task, String name) {
        check(name);
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        return t;
    }

    private static void check(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("thread name '" + name + "': expected a name");
        }
    }
}
