package io.tandem.mailstore.internal;

import io.tandem.api.blob.BlobException;
import io.tandem.api.blob.BlobRef;
import io.tandem.api.blob.BlobService;
import io.tandem.api.blob.Volume;
import io.tandem.api.blob.VolumeRegistry;
import io.tandem.api.directory.Account;
import io.tandem.api.directory.AccountNames;
import io.tandem.api.directory.AccountStatus;
import io.tandem.api.directory.DirectoryService;
import io.tandem.api.mailbox.EpochNotReachedException;
import io.tandem.api.mailbox.Folder;
import io.tandem.api.mailbox.MailboxChange;
import io.tandem.api.mailbox.MailboxStore;
import io.tandem.mailstore.internal.lmtp.LmtpHandler;
import io.tandem.mailstore.internal.lmtp.Reply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Supplier;

/**
 * LMTP delivery into the mailboxes hosted by this Mailstore: the recipient must exist and be owned by
 * this node (else 550, or 451 while it is elsewhere or unavailable); the message is stored once as a
 * blob on the current primary volume, then added to each recipient's Inbox through the mailbox
 * store's single transaction path. Anything that may succeed later (S3 down, ownership moving,
 * database busy) answers 451 so the MTA keeps the message: nothing accepted is lost.
 *
 * <p>Exactly once per mailbox: the MTA may deliver a message again (it crashed after our 250 and before it
 * recorded it, or a failover hid our 250 from it). Every message it accepts carries a unique {@code Received}
 * header, so its bytes, hence its blob digest, are unique; inside the mailbox transaction a message with the same
 * digest already in the mailbox means this delivery was stored before, and it is answered 250 "already
 * delivered as item N" without adding it again (docs/decisions/0011). Replicas store the same blob references,
 * so this holds on a promoted replica too.
 */
final class Delivery implements LmtpHandler {

    private static final Logger LOG = LoggerFactory.getLogger(Delivery.class);

    private final Supplier<String> localNode;
    private final DirectoryService directory;
    private final VolumeRegistry volumes;
    private final BlobService blobs;
    private final MailboxStore store;
    private final Clock clock;

    Delivery(Supplier<String> localNode, DirectoryService directory, VolumeRegistry volumes, BlobService blobs,
             MailboxStore store, Clock clock) {
        this.localNode = localNode;
        this.directory = directory;
        this.volumes = volumes;
        this.blobs = blobs;
        this.store = store;
        this.clock = clock;
    }

    @Override
    public Reply recipient(String address) {
        String name;
        try {
            name = AccountNames.account(address);
        } catch (IllegalArgumentException e) {
            return Reply.permanent(550, "5.1.3", "bad recipient address " + address + ": " + e.getMessage());
        }
        Optional<Account> found = directory.account(name);
        if (found.isEmpty()) {
            return Reply.permanent(550, "5.1.1", "no such account " + name);
        }
        Account owner = ownerOf(found.get());
        return ownedHere(owner).or(() -> takingOver(owner)).orElse(Reply.ok("2.1.5", name + " OK"));
    }

    /**
     * While this node takes the account over (the directory names it the owner, its copy has not reached that
     * epoch yet: it is applying the log up to the promotion marker), the recipient is deferred at once, before
     * the message is read and stored: the MTA's retry will find it writable.
     */
    private Optional<Reply> takingOver(Account owner) {
        OptionalLong epoch = store.epoch(owner.id());
        if (epoch.isEmpty() || epoch.getAsLong() >= owner.epoch()) {
            return Optional.empty();
        }
        return Optional.of(Reply.temporary("4.2.0", owner.name() + " is being taken over by this node (epoch " + owner.epoch()
                + "), try again in a moment"));
    }

    /** The account as its current owner sees it (the owner cache never serves an older epoch). */
    private Account ownerOf(Account account) {
        return directory.owner(account.id()).orElse(account);
    }

    /** Empty when the account can take mail here now; else the reply that says why not. */
    private Optional<Reply> ownedHere(Account owner) {
        if (!owner.mailHost().equals(localNode.get())) {
            return Optional.of(Reply.temporary("4.2.0", owner.name() + " is hosted on " + owner.mailHost() + ", not here"));
        }
        if (owner.status() == AccountStatus.CLOSED) {
            return Optional.of(Reply.permanent(550, "5.2.1", owner.name() + " is closed"));
        }
        if (owner.status() != AccountStatus.ACTIVE) {
            return Optional.of(Reply.temporary("4.2.1", owner.name() + " is " + owner.status().id() + ", try again later"));
        }
        return Optional.empty();
    }

    @Override
    public List<Reply> deliver(String sender, List<String> recipients, Path message) {
        Optional<Volume> volume = volumes.current(Volume.Kind.PRIMARY);
        if (volume.isEmpty()) {
            return all(recipients, Reply.temporary("4.3.0", "no current primary volume on this Mailstore"));
        }
        BlobRef blob;
        try (InputStream in = Files.newInputStream(message)) {
            blob = blobs.put(volume.get().id(), in);
        } catch (BlobException e) {
            LOG.warn("LMTP delivery from {} deferred: blob store failed ({})", sender, e.getMessage());
            return all(recipients, Reply.temporary("4.3.0", "message store unavailable, try again later"));
        } catch (IOException e) {
            return all(recipients, Reply.temporary("4.3.0", "cannot read the spooled message"));
        }
        Summary summary = Summary.of(message);
        long received = clock.millis();
        List<Reply> replies = new ArrayList<>();
        for (String r : recipients) {
            replies.add(deliverTo(r, blob, summary, received));
        }
        return replies;
    }

    private Reply deliverTo(String recipient, BlobRef blob, Summary summary, long received) {
        try {
            Account account = directory.account(AccountNames.account(recipient)).orElse(null);
            if (account == null) {
                return Reply.permanent(550, "5.1.1", "no such account " + recipient);
            }
            Account owner = ownerOf(account);
            Optional<Reply> refused = ownedHere(owner);
            if (refused.isPresent()) {
                return refused.get();
            }
            long epoch = owner.epoch();
            Mailboxes.ensure(store, account.id(), epoch);
            long[] itemId = new long[1];
            MailboxChange change = store.execute(account.id(), epoch, tx -> {
                // checked under the mailbox lock: a retried delivery (same bytes, hence same digest) is not added twice
                OptionalLong stored = tx.itemWithBlob(blob.sha256());
                if (stored.isPresent()) {
                    throw new AlreadyDelivered(stored.getAsLong());
                }
                itemId[0] = tx.addMessage(Folder.INBOX, blob, blob.size(), received, summary.subject(), summary.from(),
                        summary.to(), Set.of(), Set.of());
            });
            return Reply.ok("2.0.0", "stored for " + account.name() + " as item " + itemId[0] + " (sequence " + change.sequence() + ")");
        } catch (AlreadyDelivered e) {
            LOG.info("LMTP delivery to {} of blob {} was already stored as item {}: not added again", recipient,
                    blob.sha256(), e.itemId);
            return Reply.ok("2.0.0", "already delivered to " + recipient + " as item " + e.itemId);
        } catch (EpochNotReachedException e) {
            LOG.debug("LMTP delivery to {} deferred: {}", recipient, e.getMessage());
            return Reply.temporary("4.2.0", recipient + " is being taken over by this node, try again in a moment");
        } catch (RuntimeException e) {
            LOG.warn("LMTP delivery to {} deferred: {}", recipient, e.toString());
            return Reply.temporary("4.3.0", "temporary failure storing for " + recipient + ", try again later");
        }
    }

    /**
     * Ends the mailbox transaction of a delivery whose message the mailbox already holds: nothing is written
     * (the transaction rolls back) and the MTA is answered 250, as for the first delivery.
     */
    private static final class AlreadyDelivered extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final long itemId;

        AlreadyDelivered(long itemId) {
            super("already delivered as item " + itemId, null, false, false);
            this.itemId = itemId;
        }
    }

    private static List<Reply> all(List<String> recipients, Reply reply) {
        return recipients.stream().map(r -> reply).toList();
    }
}
