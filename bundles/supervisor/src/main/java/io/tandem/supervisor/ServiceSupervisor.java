package io.tandem.supervisor;

import java.util.Map;

/**
 * Runs a program of another bundle under the same supervision as the {@code tandem.service}
 * configurations (own process group under the watchdog, so it never outlives the Tandem JVM; SIGTERM
 * then SIGKILL of its group on stop; restarts with exponential backoff; probe), listed by
 * {@code supervisor:list} and restarted by {@code supervisor:restart} like them. The program runs
 * while the returned handle is open: the caller closes it when its role goes away.
 */
public interface ServiceSupervisor {

    /**
     * Starts supervising a program now.
     *
     * @param properties the keys of a {@code tandem.service} configuration ({@code name},
     *                   {@code role} — any role —, {@code start.command}, {@code probe},
     *                   {@code stop.timeout.seconds}, {@code restart.*}, ...); the mode is active-active.
     *                   {@code start.command} may also be a {@code List<String>} of arguments.
     * @throws IllegalArgumentException naming the key and the bad value
     */
    SupervisedService supervise(Map<String, ?> properties);

    /** One supervised program; {@link #close()} stops it and ends its supervision. */
    interface SupervisedService extends AutoCloseable {

        ServiceStatus status();

        /** See {@link SupervisedServices#restart(String)}. */
        ServiceStatus restart();

        /** Stops the program (SIGTERM, SIGKILL after {@code stop.timeout.seconds}); returns once it ended. */
        @Override
        void close();
    }
}
