package io.tandem.node.internal;

import org.apache.karaf.features.Feature;
import org.apache.karaf.features.FeaturesService;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/** {@link FeatureInstaller} over Karaf's {@link FeaturesService}. */
final class KarafFeatureInstaller implements FeatureInstaller {

    // role bundles only import the api: no other bundle needs a refresh when one comes or goes,
    // and refreshing could restart this very bundle in the middle of the change
    private static final EnumSet<FeaturesService.Option> OPTIONS = EnumSet.of(FeaturesService.Option.NoAutoRefreshBundles);

    private final FeaturesService features;

    KarafFeatureInstaller(FeaturesService features) {
        this.features = features;
    }

    @Override
    public Set<String> installed(String prefix) throws Exception {
        return Arrays.stream(features.listInstalledFeatures())
                .map(Feature::getName)
                .filter(n -> n.startsWith(prefix))
                .collect(Collectors.toSet());
    }

    @Override
    public void install(Set<String> names) throws Exception {
        features.installFeatures(names, OPTIONS);
    }

    @Override
    public void uninstall(Set<String> names) throws Exception {
        features.uninstallFeatures(names, OPTIONS);
    }
}
