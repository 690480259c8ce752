package io.tandem.replication.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration PID {@value #PID} (etc/tandem.replication.cfg). */
@ObjectClassDefinition(name = "Tandem Active Replica", description = "Replication agent and ha:* operations")
public @interface ReplicationConfig {

    String PID = "tandem.replication";

    @AttributeDefinition(description = "How often a Mailstore re-reads its replica rows from the directory (ms); "
            + "changes made with ha:* commands are also announced at once")
    long refresh_interval_ms() default 2000;

    @AttributeDefinition(description = "How long ha:promoteAccounts waits for the new owner to take an account over (s)")
    int promotion_timeout_seconds() default 60;

    @AttributeDefinition(description = "How long status commands wait for every Mailstore to answer (ms)")
    long status_timeout_ms() default 3000;

    @AttributeDefinition(description = "After a start, how long a Mailstore waits at most for the event log while it reads "
            + "back the changes it made before (ms, at least 10000); tried again until it worked, replicated changes are "
            + "refused until then")
    long head_check_timeout_ms() default 60000;

    @AttributeDefinition(description = "After how long in one call (a database or broker that does not answer) the "
            + "replica applier of this Mailstore counts as stalled: logged with the stuck thread's stack, told to the "
            + "administrator, its copies shown as stalled and never chosen as promotion targets until it moves again "
            + "(ms, 5000 to 3600000)")
    long applier_stall_ms() default 60000;

    @AttributeDefinition(description = "A file this Mailstore appends a line to for every change it commits as an "
            + "owner (monotonic time, node, account, epoch, sequence), for the fault harness's checker; empty: off")
    String history_file() default "";
}
