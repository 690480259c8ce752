package io.tandem.mailstore.jdbc.internal;

import io.tandem.api.blob.BlobRef;
import io.tandem.api.mailbox.Folder;
import io.tandem.api.mailbox.MailboxOp;
import io.tandem.api.mailbox.Message;

import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;

/**
 * Validates operations against the mailbox as it is in this transaction, then writes them. Every id in a
 * mailbox is at most its row's {@code item_id} counter, so an id above the counter the writer started
 * from ({@code freeAbove}) is free unless this writer created it; folders read are remembered until an
 * operation changes a folder.
 */
final class OpWriter {
    private final Tx tx;
    private final UUID account;
    private final long freeAbove;
    private final Set<Long> created = new java.util.HashSet<>();
    private long highestCreated;
    private final Map<Long, Optional<Folder>> folders = new HashMap<>();

    OpWriter(Tx tx, UUID account, long freeAbove) {
        this.tx = tx;
        this.account = account;
        this.freeAbove = freeAbove;
    }

    /** The highest id an operation of this writer created (0: none). */
    long highestCreated() {
        return highestCreated;
    }

    private void created(long id) {
        created.add(id);
        highestCreated = Math.max(highestCreated, id);
    }

    void write(MailboxOp op) throws SQLException {
        if (op instanceof MailboxOp.CreateFolder f) {
            requireFreeId(f.folderId());
            if (f.parentId() != null) {
                requireFolder(f.parentId());
            }
            requireFreeName(f.name(), f.parentId(), null);
            tx.update("INSERT INTO folders (account_id, folder_id, name, parent_id) VALUES (?, ?, ?, ?)",
                    account, f.folderId(), f.name(), f.parentId());
            created(f.folderId());
            folders.clear();
        } else if (op instanceof MailboxOp.RenameFolder f) {
            Folder folder = requireUserFolder(f.folderId(), "renamed");
            requireFreeName(f.name(), folder.parentId(), folder.id());
            tx.update("UPDATE folders SET name = ? WHERE account_id = ? AND folder_id = ?", f.name(), account, f.folderId());
            folders.clear();
        } else if (op instanceof MailboxOp.DeleteFolder f) {
            requireUserFolder(f.folderId(), "deleted");
            if (tx.exists("SELECT 1 FROM messages WHERE account_id = ? AND folder_id = ?", account, f.folderId())) {
                throw new IllegalArgumentException("folder " + f.folderId() + " of " + account + " holds messages: not deleted");
            }
            if (tx.exists("SELECT 1 FROM folders WHERE account_id = ? AND parent_id = ?", account, f.folderId())) {
                throw new IllegalArgumentException("folder " + f.folderId() + " of " + account + " holds folders: not deleted");
            }
            tx.update("DELETE FROM folders WHERE account_id = ? AND folder_id = ?", account, f.folderId());
            folders.clear();
        } else if (op instanceof MailboxOp.AddMessage m) {
            requireFreeId(m.itemId());
            requireFolder(m.folderId());
            BlobRef b = m.blob();
            tx.update("INSERT INTO messages (account_id, " + JdbcMailboxStore.MESSAGE_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    account, m.itemId(), m.folderId(), b.volumeId(), b.key(), b.sha256(), b.size(), m.size(),
                    m.receivedMillis(), m.subject(), m.from(), m.to());
            created(m.itemId());
            insertKeywords("message_flags", "flag", m.itemId(), m.flags());
            insertKeywords("message_tags", "tag", m.itemId(), m.tags());
        } else if (op instanceof MailboxOp.SetFlags s) {
            requireMessage(s.itemId());
            tx.update("DELETE FROM message_flags WHERE account_id = ? AND item_id = ?", account, s.itemId());
            insertKeywords("message_flags", "flag", s.itemId(), s.flags());
        } else if (op instanceof MailboxOp.SetTags s) {
            requireMessage(s.itemId());
            tx.update("DELETE FROM message_tags WHERE account_id = ? AND item_id = ?", account, s.itemId());
            insertKeywords("message_tags", "tag", s.itemId(), s.tags());
        } else if (op instanceof MailboxOp.MoveMessage m) {
            requireMessage(m.itemId());
            requireFolder(m.folderId());
            tx.update("UPDATE messages SET folder_id = ? WHERE account_id = ? AND item_id = ?", m.folderId(), account, m.itemId());
        } else if (op instanceof MailboxOp.DeleteMessage m) {
            requireMessage(m.itemId());
            tx.update("DELETE FROM message_flags WHERE account_id = ? AND item_id = ?", account, m.itemId());
            tx.update("DELETE FROM message_tags WHERE account_id = ? AND item_id = ?", account, m.itemId());
            tx.update("DELETE FROM messages WHERE account_id = ? AND item_id = ?", account, m.itemId());
        } else {
            throw new IllegalArgumentException("unknown operation " + op);
        }
    }

    private void insertKeywords(String table, String column, long itemId, Set<String> values) throws SQLException {
        for (String v : values) {
            tx.update("INSERT INTO " + table + " (account_id, item_id, " + column + ") VALUES (?, ?, ?)", account, itemId, v);
        }
    }

    private void requireFreeId(long id) throws SQLException {
        if (id > freeAbove && !created.contains(id)) {
            return;
        }
        if (tx.exists("SELECT 1 FROM folders WHERE account_id = ? AND folder_id = ?", account, id)
                || tx.exists("SELECT 1 FROM messages WHERE account_id = ? AND item_id = ?", account, id)) {
            throw new IllegalArgumentException("item id " + id + " is already used in the mailbox of " + account);
        }
    }

    private Folder requireFolder(long id) throws SQLException {
        return folder(id).orElseThrow(() -> new IllegalArgumentException("no folder " + id + " in the mailbox of " + account));
    }

    private Folder requireUserFolder(long id, String what) throws SQLException {
        Folder f = requireFolder(id);
        if (Folder.isSystem(id)) {
            throw new IllegalArgumentException("folder " + id + " (" + f.name() + ") is a system folder: it cannot be " + what);
        }
        return f;
    }

    private void requireMessage(long id) throws SQLException {
        if (!tx.exists("SELECT 1 FROM messages WHERE account_id = ? AND item_id = ?", account, id)) {
            throw new IllegalArgumentException("no message " + id + " in the mailbox of " + account);
        }
    }

    /** Sibling names are unique ignoring case; checked here, under the mailbox row lock. */
    private void requireFreeName(String name, Long parentId, Long except) throws SQLException {
        List<Long> same = parentId == null
                ? tx.list("SELECT folder_id FROM folders WHERE account_id = ? AND parent_id IS NULL AND LOWER(name) = LOWER(?)",
                rs -> rs.getLong(1), account, name)
                : tx.list("SELECT folder_id FROM folders WHERE account_id = ? AND parent_id = ? AND LOWER(name) = LOWER(?)",
                rs -> rs.getLong(1), account, parentId, name);
        if (same.stream().anyMatch(id -> !id.equals(except))) {
            throw new IllegalArgumentException("a folder named '" + name + "' already exists under "
                    + (parentId == null ? "the top level" : "folder " + parentId) + " in the mailbox of " + account);
        }
    }

    Optional<Folder> folder(long id) throws SQLException {
        Optional<Folder> known = folders.get(id);
        if (known == null) {
            known = tx.one("SELECT folder_id, name, parent_id FROM folders WHERE account_id = ? AND folder_id = ?",
                    JdbcMailboxStore::folderRow, account, id);
            folders.put(id, known);
        }
        return known;
    }

    List<Folder> folders() throws SQLException {
        return JdbcMailboxStore.folders(tx, account);
    }

    Optional<Message> message(long itemId) throws SQLException {
        return JdbcMailboxStore.message(tx, account, itemId);
    }

    OptionalLong itemWithBlob(String sha256) throws SQLException {
        Optional<Long> item = tx.one("SELECT item_id FROM messages WHERE account_id = ? AND blob_sha256 = ?"
                + " ORDER BY item_id FETCH FIRST 1 ROWS ONLY", rs -> rs.getLong(1), account, sha256);
        return item.isPresent() ? OptionalLong.of(item.get()) : OptionalLong.empty();
    }
}
