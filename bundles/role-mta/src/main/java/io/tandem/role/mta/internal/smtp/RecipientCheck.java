package io.tandem.role.mta.internal.smtp;

import io.tandem.api.directory.Account;
import io.tandem.api.directory.AccountNames;
import io.tandem.api.directory.AccountStatus;
import io.tandem.api.directory.DirectoryService;

import java.util.Optional;
import java.util.UUID;

/**
 * Whether the MTA accepts mail for an address at RCPT time: only for the directory's domains (else relay
 * denied) and existing accounts that are not closed. Locked accounts and accounts in maintenance are
 * accepted: their mail waits in the spool until the Mailstore takes it.
 */
public final class RecipientCheck {

    /** The outcome: the account accepted, or the SMTP reply that refuses it. */
    public record Outcome(String address, UUID accountId, int code, String reply) {
        public boolean accepted() {
            return accountId != null;
        }
    }

    private final DirectoryService directory;

    public RecipientCheck(DirectoryService directory) {
        this.directory = directory;
    }

    public Outcome check(String address) {
        String name;
        try {
            name = AccountNames.account(address);
        } catch (IllegalArgumentException e) {
            return refused(address, 553, "5.1.3 bad recipient address <" + address + ">");
        }
        String domain = AccountNames.domainOf(name);
        if (directory.domain(domain).isEmpty()) {
            return refused(name, 550, "5.7.1 relay denied: " + domain + " is not a domain of this platform");
        }
        Optional<Account> account = directory.account(name);
        if (account.isEmpty()) {
            return refused(name, 550, "5.1.1 <" + name + ">: no such account");
        }
        if (account.get().status() == AccountStatus.CLOSED) {
            return refused(name, 550, "5.2.1 <" + name + ">: account closed");
        }
        return new Outcome(name, account.get().id(), 250, "2.1.5 <" + name + "> OK");
    }

    private static Outcome refused(String address, int code, String reply) {
        return new Outcome(address, null, code, reply);
    }
}
