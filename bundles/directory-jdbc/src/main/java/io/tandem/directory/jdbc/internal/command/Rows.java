package io.tandem.directory.jdbc.internal.command;

import io.tandem.api.directory.Account;
import io.tandem.api.directory.Domain;

import java.util.LinkedHashMap;
import java.util.Map;

/** JSON shapes of directory entries, shared by the commands. */
final class Rows {

    private Rows() {
    }

    static Map<String, Object> account(Account a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", a.id().toString());
        m.put("name", a.name());
        m.put("domain", a.domain());
        m.put("mailHost", a.mailHost());
        m.put("epoch", a.epoch());
        m.put("status", a.status().id());
        m.put("created", a.created().toString());
        return m;
    }

    static Map<String, Object> domain(Domain d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", d.name());
        m.put("created", d.created().toString());
        return m;
    }
}
