package io.tandem.role.proxy.internal.command;

import io.tandem.role.proxy.internal.ProxyStatus;
import io.tandem.shell.TandemCommandSupport;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code proxy:status}: where the proxy listens, its counters, and the routes it remembers per Mailstore. */
@Service
@Command(scope = "proxy", name = "status",
        description = "Shows the proxy: listening address, requests, upstream errors, retries, 503s, routes cached per Mailstore")
public class ProxyStatusCommand extends TandemCommandSupport {

    @Reference
    ProxyStatus proxy;

    @Override
    protected Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("listening", proxy.listening());
        m.put("state", proxy.up() ? "UP" : "DOWN");
        m.putAll(proxy.counters());
        m.put("routes", proxy.routesPerMailstore());
        return m;
    }

    @Override
    protected String text() {
        Map<String, Object> m = toJson();
        Object routes = m.remove("routes");
        StringBuilder out = new StringBuilder(keyValues(m));
        ShellTable t = new ShellTable().emptyTableText("no route cached");
        t.column("Mailstore");
        t.column("Routes cached").alignRight();
        @SuppressWarnings("unchecked")
        Map<String, Integer> perMailstore = (Map<String, Integer>) routes;
        perMailstore.forEach((mailstore, count) -> t.addRow().addContent(mailstore, count));
        out.append('\n').append(print(t));
        return out.toString();
    }
}
