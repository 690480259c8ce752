package io.tandem.node.internal;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/** A {@link FeatureInstaller} that keeps the installed features in memory and records every change. */
final class RecordingInstaller implements FeatureInstaller {

    final Set<String> installed = ConcurrentHashMap.newKeySet();
    /** "install [a, b]" / "uninstall [c]", in call order. */
    final List<String> calls = new CopyOnWriteArrayList<>();
    /** When set, every call fails with it. */
    volatile Exception failure;

    RecordingInstaller(String... preinstalled) {
        installed.addAll(List.of(preinstalled));
    }

    @Override
    public Set<String> installed(String prefix) throws Exception {
        failIfAsked();
        return installed.stream().filter(n -> n.startsWith(prefix)).collect(Collectors.toSet());
    }

    @Override
    public void install(Set<String> features) throws Exception {
        failIfAsked();
        calls.add("install " + new TreeSet<>(features));
        installed.addAll(features);
    }

    @Override
    public void uninstall(Set<String> features) throws Exception {
        failIfAsked();
        calls.add("uninstall " + new TreeSet<>(features));
        installed.removeAll(features);
    }

    private void failIfAsked() throws Exception {
        Exception e = failure;
        if (e != null) {
            throw e;
        }
    }

    Set<String> roleFeatures() {
        return installed.stream().filter(n -> n.startsWith("tandem-role-")).collect(Collectors.toCollection(TreeSet::new));
    }
}
