package io.tandem.supervisor;

/**
 * Runs a program of another bundle under the same supervision as the {@code tandem.service}
 * configurations (own process group under the watchdog, so it never outlives the Tandem JVM; SIGTERM
 * then SIGKILL of its group on stop; restarts with exponential backoff; probe), listed by
 * {@code supervisor:list} and restarted by {@code supervisor:restart} like them. The program runs
 * while the returned handle is open: the caller closes it when its role goes away.
 */
public interface ServiceSupervisor {

    /**
     * Starts supervising a program now (active-active; restarts with the defaults of {@code tandem.service}).
     *
     * @throws IllegalArgumentException naming the key of {@code tandem.service} and the bad value
     */
    SupervisedService supervise(Program program);

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
