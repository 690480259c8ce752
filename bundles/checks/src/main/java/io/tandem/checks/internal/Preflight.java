package io.tandem.checks.internal;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The checks of {@code node:preflight} that need nothing but this host: the FQDN in the hosts file and its
 * resolution, DNS and TCP reachability of the peers, local clock synchronisation, the primary storage mount
 * and free space, the package repository channel file. Each returns lines with the reason.
 */
public final class Preflight {

    /**
     * @param hostsFile         the hosts file the FQDN must be in
     * @param connectTimeoutMs  TCP connect timeout per peer
     * @param storagePath       where the Mailstore's primary storage must be mounted
     * @param storageMustBeMount whether {@code storagePath} must be a mount point of its own
     * @param storageMinFreeMb  free space required on it
     * @param channelFiles      repository files, the first one present is read
     * @param mounts            the mount table ({@code /proc/mounts})
     */
    public record Settings(Path hostsFile, int connectTimeoutMs, Path storagePath, boolean storageMustBeMount,
                           long storageMinFreeMb, List<Path> channelFiles, Path mounts) {
        public Settings {
            channelFiles = List.copyOf(channelFiles);
        }
    }

    /** The node as its configuration describes it. */
    public record Node(String fqdn, String address, Set<String> roles, List<String> seeds, int clusterPort) {
        public Node {
            roles = Set.copyOf(roles);
            seeds = List.copyOf(seeds);
        }
    }

    /** Runs a program; empty when it is not installed. */
    @FunctionalInterface
    public interface Programs {
        Optional<Result> run(List<String> command, long timeoutMillis);

        record Result(int exit, String output) {
        }

        /** Real processes; a program that cannot be started is "not installed". */
        static Programs system() {
            return (command, timeoutMillis) -> {
                Process p;
                try {
                    p = new ProcessBuilder(command).redirectErrorStream(true).start();
                } catch (IOException e) {
                    return Optional.empty();
                }
                try {
                    p.getOutputStream().close();
                    if (!p.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
                        p.destroyForcibly();
                        return Optional.of(new Result(-1, "no answer within " + timeoutMillis + " ms"));
                    }
                    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    return Optional.of(new Result(p.exitValue(), out));
                } catch (IOException e) {
                    return Optional.of(new Result(-1, e.toString()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    p.destroyForcibly();
                    return Optional.of(new Result(-1, "interrupted"));
                }
            };
        }
    }

    private static final Pattern CHANNEL = Pattern.compile("(?i)[/_.-](rc|release)([/_.-]|$|\\s)");

    private final Settings settings;
    private final Programs programs;

    public Preflight(Settings settings, Programs programs) {
        this.settings = settings;
        this.programs = programs;
    }

    // ------------------------------------------------------------------ FQDN

    public List<Check> fqdn(Node node) {
        List<Check> out = new ArrayList<>();
        String fqdn = node.fqdn();
        String hosts = settings.hostsFile().toString();
        List<String> listed;
        try {
            listed = hostsAddresses(Files.readAllLines(settings.hostsFile(), StandardCharsets.UTF_8), fqdn);
        } catch (IOException e) {
            out.add(Check.fail("fqdn", fqdn, "cannot read " + hosts + ": " + e.getMessage()));
            listed = null;
        }
        if (listed != null) {
            if (listed.isEmpty()) {
                out.add(Check.fail("fqdn", fqdn, "not in " + hosts + " (add the line '" + node.address() + "  " + fqdn + "')"));
            } else if (!listed.contains(node.address())) {
                out.add(Check.fail("fqdn", fqdn, hosts + " lists it for " + String.join(", ", listed)
                        + ", not for node.address " + node.address()));
            } else {
                out.add(Check.pass("fqdn", fqdn, "in " + hosts + " for " + node.address()
                        + (fqdn.contains(".") ? "" : " (warning: not fully qualified)")));
            }
        }
        List<String> resolved;
        try {
            resolved = Arrays.stream(InetAddress.getAllByName(fqdn)).map(InetAddress::getHostAddress).distinct().toList();
        } catch (UnknownHostException e) {
            out.add(Check.fail("fqdn", fqdn, "does not resolve (" + e.getMessage() + ")"));
            return out;
        }
        if (resolved.contains(node.address())) {
            out.add(Check.pass("fqdn", fqdn, "resolves to " + String.join(", ", resolved) + " (node.address " + node.address() + ")"));
        } else {
            List<String> local = resolved.stream().filter(Preflight::isLocal).toList();
            if (!local.isEmpty()) {
                out.add(Check.warn("fqdn", fqdn, "resolves to " + String.join(", ", resolved) + ": an address of this host, but not node.address "
                        + node.address() + " that Tandem binds to"));
            } else {
                out.add(Check.fail("fqdn", fqdn, "resolves to " + String.join(", ", resolved) + ", none of them an address of this host"));
            }
        }
        return out;
    }

    /** Addresses a hosts file gives for {@code name} (case-insensitive), in file order. */
    static List<String> hostsAddresses(List<String> lines, String name) {
        Set<String> out = new LinkedHashSet<>();
        for (String line : lines) {
            int hash = line.indexOf('#');
            String[] words = (hash >= 0 ? line.substring(0, hash) : line).trim().split("\\s+");
            for (int i = 1; i < words.length; i++) {
                if (words[i].equalsIgnoreCase(name) || words[i].equalsIgnoreCase(name + ".")) {
                    out.add(words[0]);
                }
            }
        }
        return List.copyOf(out);
    }

    static boolean isLocal(String address) {
        try {
            InetAddress a = InetAddress.getByName(address);
            return a.isLoopbackAddress() || a.isAnyLocalAddress() || NetworkInterface.getByInetAddress(a) != null;
        } catch (IOException e) {
            return false;
        }
    }

    // ------------------------------------------------------------------ peers

    /** DNS and TCP of every seed that is not this node. */
    public List<Check> peers(Node node) {
        List<Check> out = new ArrayList<>();
        List<String> peers = new ArrayList<>();
        for (String seed : node.seeds()) {
            HostPort hp = HostPort.parse(seed, node.clusterPort());
            boolean self = (hp.host().equals(node.address()) || hp.host().equalsIgnoreCase(node.fqdn())) && hp.port() == node.clusterPort();
            if (!self) {
                peers.add(seed);
            }
        }
        if (peers.isEmpty()) {
            out.add(Check.warn("peers", "", node.seeds().isEmpty() ? "no peer configured (seeds in etc/tandem.cluster.cfg is empty)"
                    : "the seeds name only this node"));
            return out;
        }
        for (String seed : peers) {
            out.add(peer(HostPort.parse(seed, node.clusterPort())));
        }
        return out;
    }

    private Check peer(HostPort hp) {
        String target = hp.host() + ":" + hp.port();
        InetAddress address;
        String dns;
        try {
            address = InetAddress.getByName(hp.host());
            dns = HostPort.isLiteral(hp.host()) ? "" : "resolves to " + address.getHostAddress() + ", ";
        } catch (UnknownHostException e) {
            return Check.fail("peers", target, "does not resolve (" + e.getMessage() + ")");
        }
        long start = System.nanoTime();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, hp.port()), settings.connectTimeoutMs());
            return Check.pass("peers", target, dns + "TCP connect in " + millis(start) + " ms");
        } catch (ConnectException e) {
            // the host answered with a reset: the network path is there, nothing listens yet
            return Check.warn("peers", target, dns + "reachable, but nothing listens on port " + hp.port()
                    + " (" + e.getMessage() + "; the peer is not started?)");
        } catch (SocketTimeoutException e) {
            return Check.fail("peers", target, dns + "no TCP answer within " + settings.connectTimeoutMs() + " ms (filtered or down)");
        } catch (IOException e) {
            return Check.fail("peers", target, dns + "TCP connect failed: " + e.getMessage());
        }
    }

    /** {@code host[:port]}, IPv6 literals in brackets. */
    record HostPort(String host, int port) {
        static HostPort parse(String seed, int defaultPort) {
            String s = seed.trim();
            if (s.startsWith("[")) {
                int end = s.indexOf(']');
                String host = s.substring(1, end);
                return new HostPort(host, s.length() > end + 2 ? Integer.parseInt(s.substring(end + 2)) : defaultPort);
            }
            int colon = s.lastIndexOf(':');
            if (colon > 0 && s.indexOf(':') == colon) {
                return new HostPort(s.substring(0, colon), Integer.parseInt(s.substring(colon + 1)));
            }
            return new HostPort(s, defaultPort);
        }

        static boolean isLiteral(String host) {
            return host.matches("[0-9.]+") || host.contains(":");
        }
    }

    // ------------------------------------------------------------------ clock

    /** Local synchronisation as timedatectl, chronyc or ntpq report it (the first that answers). */
    public Check localClock() {
        List<String> tried = new ArrayList<>();
        Optional<Programs.Result> r = programs.run(List.of("timedatectl", "show", "-p", "NTPSynchronized", "--value"), 5000);
        if (r.isEmpty()) {
            tried.add("timedatectl not installed");
        } else if (r.get().exit() == 0 && !r.get().output().isBlank()) {
            String v = r.get().output().trim();
            return v.equals("yes") ? Check.pass("clock", "local", "synchronised (timedatectl: NTPSynchronized=yes)")
                    : Check.fail("clock", "local", "not synchronised (timedatectl: NTPSynchronized=" + v + "); enable NTP (timedatectl set-ntp true)");
        } else {
            tried.add("timedatectl: " + firstLine(r.get().output()));
        }
        r = programs.run(List.of("chronyc", "-n", "tracking"), 5000);
        if (r.isEmpty()) {
            tried.add("chronyc not installed");
        } else if (r.get().exit() == 0) {
            Matcher m = Pattern.compile("(?m)^Leap status\\s*:\\s*(.+)$").matcher(r.get().output());
            String leap = m.find() ? m.group(1).trim() : "unknown";
            return leap.equalsIgnoreCase("Normal") ? Check.pass("clock", "local", "synchronised (chronyc: leap status Normal)")
                    : Check.fail("clock", "local", "not synchronised (chronyc: leap status " + leap + ")");
        } else {
            tried.add("chronyc: " + firstLine(r.get().output()));
        }
        r = programs.run(List.of("ntpq", "-pn"), 5000);
        if (r.isEmpty()) {
            tried.add("ntpq not installed");
        } else if (r.get().exit() == 0) {
            boolean selected = r.get().output().lines().anyMatch(l -> l.startsWith("*"));
            return selected ? Check.pass("clock", "local", "synchronised (ntpq: a system peer is selected)")
                    : Check.fail("clock", "local", "not synchronised (ntpq: no system peer selected)");
        } else {
            tried.add("ntpq: " + firstLine(r.get().output()));
        }
        return Check.warn("clock", "local", "synchronisation unknown (" + String.join("; ", tried) + ")");
    }

    private static String firstLine(String s) {
        String t = s == null ? "" : s.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? (t.isEmpty() ? "no answer" : t) : t.substring(0, nl);
    }

    // ------------------------------------------------------------------ storage

    public Check storage(Set<String> roles) {
        Path path = settings.storagePath();
        String target = path.toString();
        if (!roles.contains("mailstore")) {
            return Check.pass("storage", target, "not needed: this node does not play mailstore");
        }
        if (!Files.isDirectory(path)) {
            return Check.fail("storage", target, "does not exist: the Mailstore's primary storage must be mounted on " + path);
        }
        String mount;
        Optional<String> mountPoint;
        try {
            mountPoint = mountPointOf(path, Files.readAllLines(settings.mounts(), StandardCharsets.UTF_8));
            mount = mountPoint.orElse("?");
        } catch (IOException e) {
            mountPoint = Optional.empty();
            mount = null;
        }
        String free;
        long freeMb;
        try {
            FileStore store = Files.getFileStore(path);
            freeMb = store.getUsableSpace() / (1024 * 1024);
            free = gib(store.getUsableSpace()) + " free of " + gib(store.getTotalSpace());
        } catch (IOException e) {
            return Check.fail("storage", target, "cannot read its free space: " + e.getMessage());
        }
        if (mount == null) {
            return Check.warn("storage", target, "mount table " + settings.mounts() + " unreadable; " + free);
        }
        if (settings.storageMustBeMount() && !mount.equals(path.toString())) {
            return Check.fail("storage", target, "not a mount point of its own (it is on " + mount + "); " + free);
        }
        if (freeMb < settings.storageMinFreeMb()) {
            return Check.fail("storage", target, free + ", below the required " + settings.storageMinFreeMb() + " MiB");
        }
        return Check.pass("storage", target, "mounted" + (mount.equals(path.toString()) ? "" : " on " + mount) + ", " + free
                + " (at least " + settings.storageMinFreeMb() + " MiB required)");
    }

    /** The longest mount point containing {@code path}, from {@code /proc/mounts} lines. */
    static Optional<String> mountPointOf(Path path, List<String> mounts) {
        String p = path.toAbsolutePath().normalize().toString();
        String best = null;
        for (String line : mounts) {
            String[] f = line.split(" ");
            if (f.length < 2) {
                continue;
            }
            String m = unescape(f[1]);
            boolean contains = p.equals(m) || m.equals("/") || p.startsWith(m + "/");
            if (contains && (best == null || m.length() > best.length())) {
                best = m;
            }
        }
        return Optional.ofNullable(best);
    }

    private static String unescape(String s) {
        Matcher m = Pattern.compile("\\\\([0-7]{3})").matcher(s);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(b, Matcher.quoteReplacement(String.valueOf((char) Integer.parseInt(m.group(1), 8))));
        }
        m.appendTail(b);
        return b.toString();
    }

    private static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
    }

    // ------------------------------------------------------------------ repository channel

    public Check channel() {
        for (Path f : settings.channelFiles()) {
            if (!Files.exists(f)) {
                continue;
            }
            String text;
            try {
                text = Files.readString(f, StandardCharsets.UTF_8);
            } catch (IOException e) {
                return Check.warn("channel", f.toString(), "present but unreadable (" + e.getMessage()
                        + "): an installation or upgrade would use the RELEASE channel");
            }
            Set<String> channels = new LinkedHashSet<>();
            for (String line : text.lines().map(String::strip).filter(l -> !l.startsWith("#")).toList()) {
                Matcher m = CHANNEL.matcher(line);
                while (m.find()) {
                    channels.add(m.group(1).toUpperCase(Locale.ROOT));
                }
            }
            if (channels.size() == 1) {
                return Check.pass("channel", f.toString(), "channel " + channels.iterator().next());
            }
            return Check.warn("channel", f.toString(), channels.isEmpty() ? "readable, but names neither the RC nor the RELEASE channel"
                    : "names both channels (" + String.join(", ", channels) + ")");
        }
        return Check.warn("channel", "", "no repository file (" + String.join(", ", settings.channelFiles().stream()
                .map(Path::toString).toList()) + "): an installation or upgrade would use the RELEASE channel");
    }

    private static long millis(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

}
