package io.tandem.api.directory;

import io.tandem.api.node.Role;

import java.time.Instant;
import java.util.Set;

/** A server registered in the directory (nodes register themselves with their roles). */
public record Server(String name, String fqdn, Set<Role> roles, Instant updated) {
}
