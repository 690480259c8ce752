package io.tandem.api.test;

import io.tandem.api.node.Health;
import io.tandem.api.node.LocalNode;
import io.tandem.api.node.NodeIdentity;
import io.tandem.api.node.Role;
import io.tandem.api.node.RoleStatus;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Test double of {@link LocalNode}: identity, configured roles and the status of each role are set
 * by the test. Thread-safe (cluster and health code read it from their own threads).
 *
 * <p>The {@code configured} flag has one source of truth: {@link #setConfiguredRoles} rewrites the
 * flag of every stored status, and {@link #setRoleStatus} adds or removes the role from the
 * configured roles according to the status' flag. A configured role without a stored status is
 * reported not active and DOWN ({@code "not active"}), like the real node does.
 */
public class LocalNodeAdapter implements LocalNode {

    public static final String VERSION = "0.0.0-test";

    private NodeIdentity identity;
    private final Set<Role> configured = EnumSet.noneOf(Role.class);
    private final Map<Role, RoleStatus> status = new EnumMap<>(Role.class);
    private String configurationError;
    private String activationError;
    private Health health;

    /** A node {@code node1} on 127.0.0.1 with no role. */
    public LocalNodeAdapter() {
        this("node1", "127.0.0.1");
    }

    public LocalNodeAdapter(String name, String address) {
        this(new NodeIdentity(name, name + ".test", address, VERSION));
    }

    public LocalNodeAdapter(NodeIdentity identity) {
        this.identity = identity;
    }

    public synchronized LocalNodeAdapter setIdentity(NodeIdentity identity) {
        this.identity = identity;
        return this;
    }

    /** Sets the configured roles; the statuses already set keep their active flag and health. */
    public synchronized LocalNodeAdapter setConfiguredRoles(Collection<Role> roles) {
        configured.clear();
        configured.addAll(roles);
        status.replaceAll((role, s) -> new RoleStatus(role, configured.contains(role), s.active(), s.health()));
        return this;
    }

    public LocalNodeAdapter setConfiguredRoles(Role... roles) {
        return setConfiguredRoles(Arrays.asList(roles));
    }

    /** Stores the status of its role as given (the role becomes configured or not per the status). */
    public synchronized LocalNodeAdapter setRoleStatus(RoleStatus roleStatus) {
        status.put(roleStatus.role(), roleStatus);
        if (roleStatus.configured()) {
            configured.add(roleStatus.role());
        } else {
            configured.remove(roleStatus.role());
        }
        return this;
    }

    /** Forgets the stored status of the role (it stays configured if it was). */
    public synchronized LocalNodeAdapter removeRoleStatus(Role role) {
        status.remove(role);
        return this;
    }

    /** The node plays exactly these roles: configured, active and UP; every other role is forgotten. */
    public synchronized LocalNodeAdapter setRoles(Role... roles) {
        configured.clear();
        status.clear();
        for (Role role : roles) {
            setRoleStatus(new RoleStatus(role, true, true, Health.up(role.id() + " up")));
        }
        return this;
    }

    /** The role is active with the given health; configured if it already was. */
    public synchronized LocalNodeAdapter setRoleActive(Role role, Health roleHealth) {
        return setRoleStatus(new RoleStatus(role, configured.contains(role), true, roleHealth));
    }

    public synchronized LocalNodeAdapter setConfigurationError(String error) {
        this.configurationError = error;
        return this;
    }

    public synchronized LocalNodeAdapter setActivationError(String error) {
        this.activationError = error;
        return this;
    }

    /** Overrides the node health; {@code null} (the default) derives it from the role statuses. */
    public synchronized LocalNodeAdapter setHealth(Health health) {
        this.health = health;
        return this;
    }

    @Override
    public synchronized NodeIdentity identity() {
        return identity;
    }

    @Override
    public synchronized Set<Role> configuredRoles() {
        return configured.isEmpty() ? EnumSet.noneOf(Role.class) : EnumSet.copyOf(configured);
    }

    @Override
    public synchronized Set<Role> activeRoles() {
        Set<Role> active = EnumSet.noneOf(Role.class);
        status.values().stream().filter(RoleStatus::active).forEach(s -> active.add(s.role()));
        return active;
    }

    @Override
    public synchronized List<RoleStatus> roleStatus() {
        List<RoleStatus> out = new ArrayList<>();
        for (Role role : Role.values()) {
            RoleStatus s = status.get(role);
            if (s != null) {
                out.add(s);
            } else if (configured.contains(role)) {
                out.add(new RoleStatus(role, true, false, Health.down("not active")));
            }
        }
        return out;
    }

    @Override
    public synchronized Optional<String> configurationError() {
        return Optional.ofNullable(configurationError);
    }

    @Override
    public synchronized Optional<String> activationError() {
        return Optional.ofNullable(activationError);
    }

    /** Unless overridden: UP when every configured role is UP, else DOWN naming each problem. */
    @Override
    public synchronized Health health() {
        if (health != null) {
            return health;
        }
        List<String> problems = new ArrayList<>();
        for (RoleStatus s : roleStatus()) {
            if (s.configured() && !s.health().up()) {
                problems.add(s.role().id() + ": " + s.health().detail());
            }
        }
        if (problems.isEmpty()) {
            return Health.up(configured.isEmpty() ? "no role configured" : "all roles up");
        }
        return Health.down(String.join("; ", problems));
    }
}
