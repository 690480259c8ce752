package io.tandem.supervisor;

import io.tandem.api.node.Role;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A program another bundle has supervised ({@link ServiceSupervisor#supervise}), with the meaning of the keys
 * of a {@code tandem.service} configuration (docs/admin-guide.md, "Supervised services"); it runs active-active
 * while its handle is open. Checked again when supervised: a bad value is refused naming the key.
 *
 * @param name             unique on the node, as {@code name} (lower case letters, digits, '.', '_', '-')
 * @param role             the role whose program it is ({@code role}: any role)
 * @param command          the program and its arguments ({@code start.command})
 * @param workingDirectory an existing directory, or null for the node's ({@code working.directory})
 * @param outputFile       where its output goes, or null for {@code data/log/service-<name>.log} ({@code output.file})
 * @param probe            {@code tcp:host:port}, {@code http://host:port/path}, or empty: the process alive is enough ({@code probe})
 * @param probeInterval    between two probes ({@code probe.interval.seconds})
 * @param probeTimeout     of one probe ({@code probe.timeout.seconds})
 * @param startTimeout     how long the first probe may fail after a start ({@code start.timeout.seconds})
 * @param stopTimeout      from SIGTERM to SIGKILL of its process group ({@code stop.timeout.seconds})
 */
public record Program(String name, Role role, List<String> command, Path workingDirectory, Path outputFile,
                      String probe, Duration probeInterval, Duration probeTimeout, Duration startTimeout,
                      Duration stopTimeout) {

    public Program {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(role, "role");
        command = List.copyOf(command);
        Objects.requireNonNull(probe, "probe");
        Objects.requireNonNull(probeInterval, "probeInterval");
        Objects.requireNonNull(probeTimeout, "probeTimeout");
        Objects.requireNonNull(startTimeout, "startTimeout");
        Objects.requireNonNull(stopTimeout, "stopTimeout");
    }
}
