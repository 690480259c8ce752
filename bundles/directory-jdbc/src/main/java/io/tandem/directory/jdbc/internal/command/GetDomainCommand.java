package io.tandem.directory.jdbc.internal.command;

import io.tandem.api.directory.DirectoryService;
import io.tandem.api.directory.Domain;
import io.tandem.shell.TandemCommandSupport;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

import java.util.Map;

@Service
@Command(scope = "prov", name = "getDomain", description = "Shows a domain and how many accounts it has")
public class GetDomainCommand extends TandemCommandSupport {

    @Argument(index = 0, name = "domain", required = true, description = "Domain name")
    String name;

    @Reference
    DirectoryService directory;

    @Override
    protected Map<String, Object> toJson() {
        Domain d = directory.domain(name).orElseThrow(() -> new IllegalArgumentException("domain '" + name + "' does not exist"));
        Map<String, Object> m = Rows.domain(d);
        m.put("accounts", directory.accounts(d.name()).size());
        return m;
    }

    @Override
    protected String text() {
        return keyValues(toJson());
    }
}
