package io.tandem.failover.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Timing of the ownership lease and of automatic failover (etc/tandem.failover.cfg, PID tandem.failover). */
@ObjectClassDefinition(name = "Tandem failover", description = "Ownership lease and automatic promotion of a departed Mailstore's accounts")
public @interface FailoverConfig {

    String PID = "tandem.failover";

    @AttributeDefinition(description = "A Mailstore that stops seeing a core quorum stops acknowledging writes of replicated accounts after this many ms")
    long lease_ms() default 1000;

    @AttributeDefinition(description = "The coordinator promotes a departed Mailstore's accounts once it has been gone this many ms (at least lease.ms + 1000)")
    long grace_ms() default 2000;

    @AttributeDefinition(description = "Accounts promoted in parallel by one automatic failover")
    int threads() default 8;

    @AttributeDefinition(description = "How often the coordinator and the lease look at the cluster, in ms")
    long check_interval_ms() default 200;

    @AttributeDefinition(description = "A take-over not finished after this many ms (the new owner still keeps its replica row and "
            + "refuses the account's writes) is promoted again by the coordinator, to the preferred in-sync copy (10000 to 3600000)")
    long takeover_heal_ms() default 90_000;
}
