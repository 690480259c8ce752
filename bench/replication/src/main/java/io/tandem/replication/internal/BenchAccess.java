package io.tandem.replication.internal;

/** Benchmark access to the package-private stop of the replication components (what DS calls). */
public final class BenchAccess {

    private BenchAccess() {
    }

    public static void deactivate(MailstoreAgent agent) {
        agent.deactivate();
    }

    public static void deactivate(HaService ha) {
        ha.deactivate();
    }
}
