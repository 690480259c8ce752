package io.tandem.api.mailbox;

/**
 * A folder of a mailbox.
 *
 * <p>Folder ids and message ids come from one counter per mailbox (see {@link MailboxInfo#itemId()}).
 * Ids below {@link #FIRST_USER_ID} are reserved for the system folders every mailbox is created with:
 * {@link #INBOX} (2), {@link #TRASH} (3) and {@link #SENT} (5), all at the top level. They can be neither
 * renamed nor deleted. (The numbers are those mail servers of the Zimbra family use, so ids carried over
 * from such a server keep their meaning.)
 *
 * @param parentId the parent folder, {@code null} for a top-level folder
 */
public record Folder(long id, String name, Long parentId) {

    public static final long INBOX = 2;
    public static final long TRASH = 3;
    public static final long SENT = 5;
    /** The first id allocated to a user's folder or message. */
    public static final long FIRST_USER_ID = 256;

    public Folder {
        Names.id("folder id", id);
        Names.folderName(name);
        if (parentId != null) {
            Names.id("parent folder id", parentId);
        }
    }

    /** Whether {@code id} is a system folder's id (reserved, created with the mailbox). */
    public static boolean isSystem(long id) {
        return id < FIRST_USER_ID;
    }

    /** The system folders, as every new mailbox has them. */
    public static java.util.List<Folder> systemFolders() {
        return java.util.List.of(new Folder(INBOX, "Inbox", null), new Folder(TRASH, "Trash", null), new Folder(SENT, "Sent", null));
    }
}
