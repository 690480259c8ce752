package io.tandem.replication.internal;

import io.tandem.api.cluster.OwnershipLease;
import io.tandem.api.directory.DirectoryService;
import io.tandem.api.mailbox.MailboxChange;
import io.tandem.api.mailbox.MailboxChangeHook;
import io.tandem.api.node.LocalNode;
import io.tandem.api.replication.EventLog;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The {@link Publisher} as the mailbox store's {@code replication} change hook. It does not reference the
 * store (the store references every hook), and stores configured with {@code required.hooks =
 * replication} refuse changes while it is not registered (docs/decisions/0009).
 */
@Component(service = MailboxChangeHook.class, property = MailboxChangeHook.NAME_PROPERTY + "=replication")
public class ReplicationHook implements MailboxChangeHook {

    private final Publisher publisher;

    @Activate
    public ReplicationHook(@Reference LocalNode local, @Reference DirectoryService directory, @Reference EventLog log,
                           @Reference OwnershipLease lease) {
        this.publisher = new Publisher(local.identity().name(), directory, log, lease);
    }

    @Override
    public void beforeCommit(MailboxChange change) {
        publisher.beforeCommit(change);
    }
}
