package io.tandem.mailstore.internal.command;

import io.tandem.api.directory.Account;
import io.tandem.api.directory.DirectoryService;
import io.tandem.api.mailbox.Folder;
import io.tandem.api.mailbox.MailboxStore;
import io.tandem.api.mailbox.Message;
import io.tandem.shell.TandemCommandSupport;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Service
@Command(scope = "mailbox", name = "list", description = "Lists the messages of a folder of an account's mailbox on this node")
public class MailboxListCommand extends TandemCommandSupport {

    @Argument(index = 0, name = "account", required = true, description = "Address, local@domain")
    String account;

    @Option(name = "--folder", description = "Folder name (default Inbox)")
    String folder = "Inbox";

    @Option(name = "--limit", description = "At most this many messages (default 50)")
    int limit = 50;

    @Reference
    DirectoryService directory;

    @Reference
    MailboxStore store;

    private List<Message> messages() {
        Account a = directory.account(account).orElseThrow(() -> new IllegalArgumentException("account '" + account + "' does not exist"));
        if (store.info(a.id()).isEmpty()) {
            throw new IllegalArgumentException("account '" + a.name() + "' has no mailbox on this node (its mailHost is " + a.mailHost() + ")");
        }
        Folder f = store.folders(a.id()).stream().filter(x -> x.name().equalsIgnoreCase(folder)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("folder '" + folder + "' does not exist in " + a.name()));
        if (limit < 1) {
            throw new IllegalArgumentException("--limit " + limit + " must be >= 1");
        }
        return store.messages(a.id(), f.id(), 0, limit);
    }

    @Override
    protected List<Map<String, Object>> toJson() {
        return messages().stream().map(m -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("itemId", m.itemId());
            row.put("received", Instant.ofEpochMilli(m.receivedMillis()).toString());
            row.put("from", m.from());
            row.put("subject", m.subject());
            row.put("size", m.size());
            row.put("flags", m.flags().stream().sorted().toList());
            row.put("blob", m.blob().key());
            return row;
        }).toList();
    }

    @Override
    protected String text() {
        ShellTable table = new ShellTable().emptyTableText("no message in " + folder);
        table.column("Item");
        table.column("Received");
        table.column("From").maxSize(40);
        table.column("Subject").maxSize(50);
        table.column("Size");
        for (Message m : messages()) {
            table.addRow().addContent(m.itemId(), Instant.ofEpochMilli(m.receivedMillis()), m.from(), m.subject(), m.size());
        }
        return print(table);
    }
}
