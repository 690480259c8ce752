package io.tandem.role.proxy.internal;

import io.tandem.api.cluster.ClusterNode;
import io.tandem.api.cluster.ClusterService;
import io.tandem.api.directory.Account;
import io.tandem.api.directory.AccountNames;
import io.tandem.api.directory.DirectoryService;
import io.tandem.api.node.Role;

import java.net.URI;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where a request for an account goes: the account's current owner ({@code mailHost}, from the
 * directory's owner cache, which every ownership change invalidates through a cluster notification)
 * and that Mailstore's {@value #MAILBOX_ENDPOINT} endpoint as the cluster publishes it. Nothing here is
 * HTTP-specific; the answer is a {@link Resolution}.
 *
 * <p>The router remembers, per account name, the account id and the owner it last routed to: the id
 * spares a directory query by name on every request, the owner is what {@code proxy:status} counts per
 * Mailstore. Each request still asks the directory for the current owner, so a promotion is followed as
 * soon as its notification arrives.
 */
public final class Router {

    /** The endpoint a Mailstore publishes for its HTTP mailbox API. */
    public static final String MAILBOX_ENDPOINT = "mailbox-http";
    /** Routes remembered at most; past it the memory starts again (it is only a cache). */
    static final int MAX_ROUTES = 100_000;

    private final DirectoryService directory;
    private final ClusterService cluster;
    private final Map<String, Cached> routes = new ConcurrentHashMap<>();

    private record Cached(UUID id, String mailHost) {
    }

    /** The outcome of routing one account. */
    public sealed interface Resolution permits Target, NotFound, Invalid, Unavailable {
    }

    /**
     * Send the request to {@code base} (scheme, host and port of the owner's mailbox API).
     *
     * @param account the account's canonical name
     */
    public record Target(String account, String mailHost, long epoch, URI base) implements Resolution {
    }

    /** No such account. */
    public record NotFound(String account) implements Resolution {
    }

    /** Not an account name. */
    public record Invalid(String message) implements Resolution {
    }

    /** The account has no reachable owner right now; {@code owner} may be null when the directory cannot tell. */
    public record Unavailable(String account, String owner, String reason) implements Resolution {
    }

    public Router(DirectoryService directory, ClusterService cluster) {
        this.directory = directory;
        this.cluster = cluster;
    }

    /** Routes a request for the account named {@code name} (as written in the path). */
    public Resolution resolve(String name) {
        return resolve(name, null);
    }

    /**
     * Routes again after {@code refusedBy} answered that it does not own the account and named
     * {@code ownerHint} instead. The directory is asked first; when it still names the Mailstore that
     * refused (its cache has not seen the change yet), the hint is used.
     */
    public Resolution reroute(String name, String refusedBy, String ownerHint) {
        return resolve(name, refusedBy == null ? null : new Refusal(refusedBy, ownerHint));
    }

    private record Refusal(String by, String hint) {
    }

    private Resolution resolve(String name, Refusal refusal) {
        String account;
        try {
            account = AccountNames.account(name);
        } catch (IllegalArgumentException e) {
            return new Invalid(e.getMessage());
        }
        Account owner;
        try {
            Optional<Account> found = owner(account);
            if (found.isEmpty()) {
                routes.remove(account);
                return new NotFound(account);
            }
            owner = found.get();
        } catch (RuntimeException e) {
            return new Unavailable(account, null, "the directory is unavailable: " + e.getMessage());
        }
        String host = owner.mailHost();
        if (refusal != null && host.equals(refusal.by()) && refusal.hint() != null && !refusal.hint().isBlank()) {
            host = refusal.hint().trim();
        }
        remember(account, new Cached(owner.id(), host));
        return target(account, host, owner.epoch());
    }

    private Optional<Account> owner(String account) {
        Cached cached = routes.get(account);
        if (cached != null) {
            Optional<Account> owner = directory.owner(cached.id());
            if (owner.isPresent()) {
                return owner;
            }
            // deleted (and perhaps created again under a new id): ask by name
        }
        Optional<Account> byName = directory.account(account);
        return byName.isEmpty() ? byName : directory.owner(byName.get().id()).or(() -> byName);
    }

    private void remember(String account, Cached route) {
        if (routes.size() >= MAX_ROUTES && !routes.containsKey(account)) {
            routes.clear();
        }
        routes.put(account, route);
    }

    private Resolution target(String account, String host, long epoch) {
        Optional<ClusterNode> node = cluster.nodes(Role.MAILSTORE).stream().filter(n -> n.name().equals(host)).findFirst();
        if (node.isEmpty()) {
            return new Unavailable(account, host, "its Mailstore " + host + " is not live in the cluster");
        }
        String endpoint = node.get().endpoints().get(MAILBOX_ENDPOINT);
        if (endpoint == null) {
            return new Unavailable(account, host, "its Mailstore " + host + " publishes no " + MAILBOX_ENDPOINT + " endpoint");
        }
        URI uri;
        try {
            uri = URI.create(endpoint);
        } catch (IllegalArgumentException e) {
            return new Unavailable(account, host, "its Mailstore " + host + " publishes a bad " + MAILBOX_ENDPOINT
                    + " endpoint '" + endpoint + "'");
        }
        if (uri.getHost() == null || uri.getPort() < 0 || !"http".equals(uri.getScheme())) {
            return new Unavailable(account, host, "its Mailstore " + host + " publishes a bad " + MAILBOX_ENDPOINT
                    + " endpoint '" + endpoint + "'");
        }
        return new Target(account, host, epoch, URI.create("http://" + uri.getRawAuthority()));
    }

    /** Routes remembered, per Mailstore (sorted by name). */
    public Map<String, Integer> routesPerMailstore() {
        Map<String, Integer> out = new TreeMap<>();
        routes.values().forEach(r -> out.merge(r.mailHost(), 1, Integer::sum));
        return out;
    }
}
