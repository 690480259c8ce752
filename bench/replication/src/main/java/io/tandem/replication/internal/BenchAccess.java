package io.tandem.replication.internal;

/** Benchmark access to package-private parts of the replication components (the stop DS calls, the applier's state). */
public final class BenchAccess {

    private BenchAccess() {
    }

    public static void deactivate(MailstoreAgent agent) {
        agent.deactivate();
    }

    public static boolean idle(MailstoreAgent agent) {
        return agent.idle();
    }

    public static void deactivate(HaService ha) {
        ha.deactivate();
    }
}
