package io.tandem.supervisor.internal;

import io.tandem.api.config.Defaults;
import io.tandem.api.node.Role;
import io.tandem.supervisor.Program;
import io.tandem.supervisor.ServiceMode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One supervised service's configuration (factory PID {@code tandem.service}), read from the raw
 * configuration properties so that every bad value is refused with the key, the value and what is
 * expected. Immutable; a change of the file replaces the component (and so the process).
 */
record ServiceConfig(String name, Role role, ServiceMode mode, boolean enabled,
                     List<String> startCommand, List<String> stopCommand, Duration stopTimeout,
                     Path workingDirectory, Map<String, String> environment, Path outputFile,
                     Probe probe, Duration probeInterval, Duration probeTimeout, int probeFailures,
                     Duration startTimeout, boolean restartOnUnhealthy,
                     Duration restartInitial, Duration restartMax, Duration restartReset, int restartMaxFastFailures,
                     Duration takeoverGrace) {

    static final String PID = "tandem.service";
    static final Set<Role> ROLES = EnumSet.of(Role.FILES, Role.VIDEO, Role.CHATS);
    static final String ENV_PREFIX = "env.";

    /** The default mode of a role: files active-active, video and chats active-standby. */
    static ServiceMode defaultMode(Role role) {
        return role == Role.FILES ? ServiceMode.ACTIVE_ACTIVE : ServiceMode.ACTIVE_STANDBY;
    }

    /**
     * @param props      the configuration's properties (component properties: extra keys are ignored)
     * @param defaultLog directory for the service's output when {@code output.file} is not set, or null
     *                   to discard the output
     * @throws IllegalArgumentException naming the PID, the service, the key and the bad value
     */
    /** Every default is the configuration type's: the keys are read from the raw properties to name bad values. */
    private static final ServiceComponent.Config D = Defaults.of(ServiceComponent.Config.class);

    static ServiceConfig parse(Map<String, ?> props, Path defaultLog) {
        return parse(props, defaultLog, ROLES);
    }

    /**
     * As {@link #parse(Map, Path)}, for a service of one of {@code roles} (a program another bundle
     * supervises through {@link io.tandem.supervisor.ServiceSupervisor} may belong to any role).
     */
    static ServiceConfig parse(Map<String, ?> props, Path defaultLog, Set<Role> roles) {
        Reader r = new Reader(props);
        String name = r.string("name", null);
        if (name == null || !name.matches("[a-z0-9][a-z0-9._-]{0,62}")) {
            throw r.bad("name", name, "a lower-case name of 1-63 letters, digits, '.', '_', '-' (unique on the node)");
        }
        r.service = name;
        String roleText = r.string("role", null);
        Role role = Role.find(roleText).filter(roles::contains)
                .orElseThrow(() -> r.bad("role", roleText, "one of " + String.join(", ", roles.stream().map(Role::id).toList())));
        String modeText = r.string("mode", defaultMode(role).id());
        ServiceMode mode = ServiceMode.find(modeText.toLowerCase(Locale.ROOT))
                .orElseThrow(() -> r.bad("mode", modeText, "active-active or active-standby"));
        boolean enabled = r.bool("enabled", D.enabled());
        List<String> start = r.command("start.command", true);
        List<String> stop = r.command("stop.command", false);
        Duration stopTimeout = r.seconds("stop.timeout.seconds", D.stop_timeout_seconds());
        String wd = r.string("working.directory", D.working_directory());
        Path workingDirectory = null;
        if (!wd.isEmpty()) {
            workingDirectory = Path.of(wd);
            if (!Files.isDirectory(workingDirectory) && enabled) {
                throw r.bad("working.directory", wd, "an existing directory");
            }
        }
        Map<String, String> env = new TreeMap<>();
        for (Map.Entry<String, ?> e : props.entrySet()) {
            if (e.getKey().startsWith(ENV_PREFIX)) {
                String var = e.getKey().substring(ENV_PREFIX.length());
                if (!var.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                    throw r.bad(e.getKey(), String.valueOf(e.getValue()), "env.<NAME> with NAME a valid environment variable name");
                }
                env.put(var, String.valueOf(e.getValue()));
            }
        }
        String out = r.string("output.file", D.output_file());
        Path outputFile = !out.isEmpty() ? Path.of(out) : defaultLog != null ? defaultLog.resolve("service-" + name + ".log") : null;
        String probeText = r.string("probe", D.probe());
        Probe probe;
        try {
            probe = Probe.parse(probeText);
        } catch (IllegalArgumentException e) {
            throw r.bad("probe", probeText, e.getMessage());
        }
        Duration probeInterval = r.seconds("probe.interval.seconds", D.probe_interval_seconds());
        Duration probeTimeout = r.seconds("probe.timeout.seconds", D.probe_timeout_seconds());
        int probeFailures = r.integer("probe.failures", D.probe_failures(), 1);
        Duration startTimeout = r.seconds("start.timeout.seconds", D.start_timeout_seconds());
        boolean restartOnUnhealthy = r.bool("restart.on.unhealthy", D.restart_on_unhealthy());
        Duration restartInitial = r.seconds("restart.initial.seconds", D.restart_initial_seconds());
        Duration restartMax = r.seconds("restart.max.seconds", D.restart_max_seconds());
        if (restartMax.compareTo(restartInitial) < 0) {
            throw r.bad("restart.max.seconds", r.string("restart.max.seconds", ""), "at least restart.initial.seconds ("
                    + restartInitial.toMillis() / 1000.0 + ")");
        }
        Duration restartReset = r.seconds("restart.reset.seconds", D.restart_reset_seconds());
        int maxFast = r.integer("restart.max.fast.failures", D.restart_max_fast_failures(), 1);
        Duration grace = r.seconds("takeover.grace.seconds", D.takeover_grace_seconds());
        return new ServiceConfig(name, role, mode, enabled, start, stop, stopTimeout, workingDirectory, Map.copyOf(env),
                outputFile, probe, probeInterval, probeTimeout, probeFailures, startTimeout, restartOnUnhealthy,
                restartInitial, restartMax, restartReset, maxFast, grace);
    }

    /**
     * A program another bundle supervises, checked as the same keys in a configuration would be (mode
     * active-active, any role).
     */
    static ServiceConfig of(Program program, Path defaultLog) {
        Map<String, Object> p = new HashMap<>();
        p.put("name", program.name());
        p.put("role", program.role().id());
        p.put("mode", ServiceMode.ACTIVE_ACTIVE.id());
        p.put("start.command", program.command());
        if (program.workingDirectory() != null) {
            p.put("working.directory", program.workingDirectory().toString());
        }
        if (program.outputFile() != null) {
            p.put("output.file", program.outputFile().toString());
        }
        p.put("probe", program.probe());
        p.put("probe.interval.seconds", seconds(program.probeInterval()));
        p.put("probe.timeout.seconds", seconds(program.probeTimeout()));
        p.put("start.timeout.seconds", seconds(program.startTimeout()));
        p.put("stop.timeout.seconds", seconds(program.stopTimeout()));
        return parse(p, defaultLog, EnumSet.allOf(Role.class));
    }

    private static String seconds(Duration d) {
        return Double.toString(d.toMillis() / 1000.0);
    }

    /** Reads keys of the raw properties; every refusal names the key and the value. */
    private static final class Reader {
        private final Map<String, ?> props;
        String service;

        Reader(Map<String, ?> props) {
            this.props = props;
        }

        IllegalArgumentException bad(String key, String value, String expected) {
            String who = service == null ? PID : PID + " '" + service + "'";
            return new IllegalArgumentException(who + ": " + key + " = '" + (value == null ? "" : value)
                    + "' is invalid: expected " + expected);
        }

        String string(String key, String dflt) {
            Object v = props.get(key);
            if (v == null) {
                return dflt;
            }
            String s = v.toString().trim();
            return s.isEmpty() && dflt != null ? dflt : s;
        }

        boolean bool(String key, boolean dflt) {
            String s = string(key, Boolean.toString(dflt)).toLowerCase(Locale.ROOT);
            return switch (s) {
                case "true" -> true;
                case "false" -> false;
                default -> throw bad(key, s, "true or false");
            };
        }

        int integer(String key, int dflt, int min) {
            String s = string(key, Integer.toString(dflt));
            try {
                int v = Integer.parseInt(s);
                if (v >= min) {
                    return v;
                }
            } catch (NumberFormatException e) {
                // refused below
            }
            throw bad(key, s, "a whole number >= " + min);
        }

        Duration seconds(String key, double dflt) {
            String s = string(key, Double.toString(dflt));
            try {
                double v = Double.parseDouble(s);
                if (v > 0 && v <= 86_400 && !Double.isNaN(v)) {
                    return Duration.ofMillis(Math.max(1, Math.round(v * 1000)));
                }
            } catch (NumberFormatException e) {
                // refused below
            }
            throw bad(key, s, "a number of seconds > 0 and <= 86400 (decimals allowed)");
        }

        List<String> command(String key, boolean required) {
            if (props.get(key) instanceof List<?> words && !words.isEmpty()) {
                return words.stream().map(String::valueOf).toList();
            }
            String s = string(key, "");
            if (s.isEmpty()) {
                if (required) {
                    throw bad(key, s, "the command to run (program and arguments, no shell; write sh -c '...' for one)");
                }
                return List.of();
            }
            try {
                return List.copyOf(CommandLine.split(s));
            } catch (IllegalArgumentException e) {
                throw bad(key, s, "a command with balanced quotes (" + e.getMessage() + ")");
            }
        }
    }
}
