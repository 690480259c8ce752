package io.tandem.mailstore.internal.command;

import io.tandem.api.directory.Account;
import io.tandem.api.directory.DirectoryService;
import io.tandem.api.mailbox.MailboxInfo;
import io.tandem.api.mailbox.MailboxStore;
import io.tandem.shell.TandemCommandSupport;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

import java.util.LinkedHashMap;
import java.util.Map;

@Service
@Command(scope = "mailbox", name = "info",
        description = "Shows the local copy of an account's mailbox: mailboxId, sequence, itemId, counts and its checksum")
public class MailboxInfoCommand extends TandemCommandSupport {

    @Argument(index = 0, name = "account", required = true, description = "Address, local@domain")
    String account;

    @Reference
    DirectoryService directory;

    @Reference
    MailboxStore store;

    @Override
    protected Map<String, Object> toJson() {
        Account a = directory.account(account).orElseThrow(() -> new IllegalArgumentException("account '" + account + "' does not exist"));
        MailboxInfo info = store.info(a.id()).orElseThrow(() -> new IllegalArgumentException(
                "account '" + a.name() + "' has no mailbox on this node (its mailHost is " + a.mailHost() + ")"));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("accountId", a.id().toString());
        m.put("accountName", a.name());
        m.put("accountMailHost", a.mailHost());
        m.put("mailboxId", info.mailboxId());
        m.put("sequence", info.sequence());
        m.put("itemId", info.itemId());
        m.put("folders", store.folders(a.id()).size());
        m.put("checksum", store.checksum(a.id()));
        return m;
    }

    @Override
    protected String text() {
        return keyValues(toJson());
    }
}
