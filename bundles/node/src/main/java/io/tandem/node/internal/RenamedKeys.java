package io.tandem.node.internal;

import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationPlugin;
import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads the configuration keys of earlier releases under their current names, so that a node's {@code etc/} kept
 * across an upgrade keeps working: Tandem's durations in milliseconds end in {@code .ms}, and a key of a
 * {@code tandem.*} configuration that still ends in {@code .millis} is given to its component as the {@code .ms}
 * key, with a warning (once per file and key) that names the file and the key to rename. When both are set, the
 * {@code .ms} key wins and the old one is ignored, also with a warning.
 *
 * <p>A ConfigurationPlugin sees the properties Configuration Admin hands to every component (SCR asks for the
 * processed properties), without changing what is stored in {@code etc/}. The node bundle starts before the
 * bundles whose configuration it renames (start level 78 in tandem-base), so the plugin is there when they get
 * their configuration.
 */
@Component(service = ConfigurationPlugin.class, immediate = true,
        property = {ConfigurationPlugin.CM_RANKING + ":Integer=100", "config.plugin.id=tandem.renamed-keys"})
public class RenamedKeys implements ConfigurationPlugin {

    private static final Logger LOG = LoggerFactory.getLogger(RenamedKeys.class);
    static final String OLD_SUFFIX = ".millis";
    static final String NEW_SUFFIX = ".ms";

    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    @Override
    public void modifyConfiguration(ServiceReference<?> reference, Dictionary<String, Object> properties) {
        rename(properties);
    }

    /** Renames the old keys of a {@code tandem.*} configuration in place; returns the warnings given (tests). */
    List<String> rename(Dictionary<String, Object> properties) {
        Object pid = properties.get(Constants.SERVICE_PID);
        Object factory = properties.get("service.factoryPid");
        if (!isTandem(pid) && !isTandem(factory)) {
            return List.of();
        }
        Object file = properties.get("felix.fileinstall.filename");
        String where = file != null ? String.valueOf(file) : "configuration " + pid;
        List<String> warnings = new ArrayList<>();
        for (String key : Collections.list(properties.keys())) {
            if (!key.endsWith(OLD_SUFFIX)) {
                continue;
            }
            String renamed = key.substring(0, key.length() - OLD_SUFFIX.length()) + NEW_SUFFIX;
            Object value = properties.remove(key);
            String warning;
            if (properties.get(renamed) == null) {
                properties.put(renamed, value);
                warning = where + ": key '" + key + "' is read as '" + renamed + "', its current name: rename it";
            } else {
                warning = where + ": key '" + key + "' is ignored, '" + renamed + "' is set too: remove '" + key + "'";
            }
            warnings.add(warning);
            if (warned.add(where + "|" + key)) {
                LOG.warn(warning);
            }
        }
        return warnings;
    }

    private static boolean isTandem(Object pid) {
        return pid != null && String.valueOf(pid).startsWith("tandem.");
    }
}
