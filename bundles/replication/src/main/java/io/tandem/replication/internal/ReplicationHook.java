package io.tandem.replication.internal;

import io.tandem.api.cluster.ClusterMessageListener;
import io.tandem.api.cluster.OwnershipLease;
import io.tandem.api.directory.DirectoryAdminService;
import io.tandem.api.mailbox.MailboxChange;
import io.tandem.api.mailbox.MailboxChangeHook;
import io.tandem.api.node.LocalNode;
import io.tandem.api.replication.EventLog;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The {@link Publisher} as the mailbox store's {@code replication} change hook. It does not reference the
 * store (the store references every hook), and stores configured with {@code required.hooks =
 * replication} refuse changes while it is not registered (docs/decisions/0009). It listens to the cluster's
 * "replicas changed" announcements: the publisher then reads again which accounts are replicated (decision 0018).
 */
@Component(service = {MailboxChangeHook.class, ClusterMessageListener.class}, configurationPid = ReplicationConfig.PID, property = {
        MailboxChangeHook.NAME_PROPERTY + "=replication",
        ClusterMessageListener.TOPIC_PROPERTY + "=" + Topics.REPLICAS})
public class ReplicationHook implements MailboxChangeHook, ClusterMessageListener {

    private final Publisher publisher;
    private final AckJournal journal;

    @Activate
    public ReplicationHook(@Reference LocalNode local, @Reference DirectoryAdminService directory, @Reference EventLog log,
                           @Reference OwnershipLease lease, ReplicationConfig config) {
        this.journal = AckJournal.open(local.identity().name(), config.history_file());
        this.publisher = new Publisher(local.identity().name(), directory, log, lease, java.time.Clock.systemUTC(), journal);
        this.publisher.headChecked(() -> {
            SourceHeads h = heads;
            return h != null && h.headChecked();
        });
    }

    /** The Mailstore's read-back of its own changes after its start (decision 0026); absent: not done. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile SourceHeads heads;

    /**
     * A change of tandem.replication does not restart the hook (stores requiring it would refuse changes
     * meanwhile): history.file is read when the hook starts.
     */
    @Modified
    void modified() {
        // nothing: the hook itself has no setting that can change while it runs
    }

    @Deactivate
    void deactivate() {
        journal.close();
    }

    @Override
    public void beforeCommit(MailboxChange change) {
        publisher.beforeCommit(change);
    }

    @Override
    public void beforeCommit(MailboxChange change, Transaction transaction) {
        publisher.beforeCommit(change, transaction);
    }

    @Override
    public void afterCommit(MailboxChange change) {
        publisher.afterCommit(change);
    }

    @Override
    public void onMessage(String topic, String message) {
        if (Topics.REPLICAS.equals(topic)) {
            publisher.replicasChanged();
        }
    }
}
