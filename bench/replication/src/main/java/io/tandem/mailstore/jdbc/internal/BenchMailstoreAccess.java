package io.tandem.mailstore.jdbc.internal;

import io.tandem.api.mailbox.MailboxChangeHook;

import java.util.Map;

/** Benchmark access: binds a change hook the way DS does (service property tandem.hook). */
public final class BenchMailstoreAccess {

    private BenchMailstoreAccess() {
    }

    public static void addHook(MailstoreDatabase db, MailboxChangeHook hook, String name) {
        db.addHook(hook, Map.of(MailboxChangeHook.NAME_PROPERTY, name));
    }
}
