package io.tandem.role.mta.internal.spool;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The free space of the spool's file system against the floor the MTA keeps ({@code spool.min.free.mb}).
 * Below it the SMTP server takes no new message (452 4.3.1, the sender retries later or elsewhere) and the
 * role reports itself down so that the load balancer sends mail to another MTA: what is already queued keeps
 * the room it needs for its envelope updates, and a message is never acknowledged into a spool that cannot
 * hold it.
 */
public final class SpoolSpace {

    /** Usable bytes of a file system. */
    @FunctionalInterface
    public interface Probe {
        long usableBytes() throws IOException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(SpoolSpace.class);

    private final Probe probe;
    private final long minFreeBytes;
    private final String where;
    private final java.util.concurrent.atomic.AtomicBoolean belowFloor = new java.util.concurrent.atomic.AtomicBoolean();

    public SpoolSpace(Probe probe, long minFreeBytes, String where) {
        this.probe = probe;
        this.minFreeBytes = minFreeBytes;
        this.where = where;
    }

    /** The space of the file system holding {@code root}. */
    public static SpoolSpace of(Path root, long minFreeBytes) throws IOException {
        FileStore store = Files.getFileStore(root);
        return new SpoolSpace(store::getUsableSpace, minFreeBytes, root.toString());
    }

    /** Empty while a new message may be received; otherwise why not, naming the figures. */
    public Optional<String> shortage() {
        if (minFreeBytes == 0) {
            return Optional.empty(); // the check is off
        }
        Optional<String> why;
        try {
            long usable = probe.usableBytes();
            why = usable >= minFreeBytes ? Optional.empty()
                    : Optional.of("spool " + where + " has " + mib(usable) + " MiB free, below spool.min.free.mb = " + mib(minFreeBytes));
        } catch (IOException | RuntimeException e) {
            why = Optional.of("cannot read the free space of the spool " + where + ": " + e);
        }
        boolean was = belowFloor.getAndSet(why.isPresent());
        if (!was && why.isPresent()) {
            LOG.warn("MTA takes no new mail (452 4.3.1): {}", why.get());
        } else if (was && why.isEmpty()) {
            LOG.info("MTA takes mail again: spool {} is above spool.min.free.mb = {}", where, mib(minFreeBytes));
        }
        return why;
    }

    private static long mib(long bytes) {
        return bytes / (1024 * 1024);
    }
}
