package io.tandem.license.internal.command;

import io.tandem.api.license.LicenseService;
import io.tandem.api.license.LicenseService.Feature;
import io.tandem.api.license.LicenseService.LicenseInfo;
import io.tandem.shell.TandemCommandSupport;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The installed license, laid out like the seed platform's {@code getLicenseInfo} so that the
 * operators' check keeps working:
 *
 * <pre>
 * bin/tandem core getLicenseInfo | grep -e ZxHA -e ha_basic -A2
 * </pre>
 *
 * {@code ZxHA} is printed as a {@code ZxHA} line followed by {@code quantity} and {@code licensed};
 * every other feature as {@code name}, {@code quantity}, {@code enabled}. {@code licensed} and
 * {@code enabled} are {@code true} only when the license is valid and the feature enabled in it, so
 * the check never shows {@code true} for an expired or unverified license.
 */
@Service
@Command(scope = "core", name = "getLicenseInfo",
        description = "Shows the installed license: id, customer, issuer, validity and the licensed features")
public class GetLicenseInfoCommand extends TandemCommandSupport {

    static final String HA_MODULE = "ZxHA";
    /** Column where values start, as in the seed's output. */
    private static final int VALUE_COLUMN = 64;

    @Reference
    LicenseService license;

    private LicenseInfo info;

    /** Reads the license once per command run. */
    private LicenseInfo info() {
        if (info == null) {
            info = license.info();
        }
        return info;
    }

    /** ZxHA first, then the others by name. */
    private static List<Feature> ordered(LicenseInfo info) {
        List<Feature> features = new ArrayList<>(info.features());
        features.sort(Comparator.comparing((Feature f) -> !f.name().equals(HA_MODULE)).thenComparing(Feature::name));
        return features;
    }

    @Override
    protected Object toJson() {
        LicenseInfo i = info();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("valid", i.valid());
        m.put("reason", i.reason());
        m.put("licenseId", i.licenseId());
        m.put("customer", i.customer());
        m.put("issuer", i.issuer());
        m.put("validUntil", i.validUntil());
        m.put("features", ordered(i).stream().map(f -> {
            Map<String, Object> fm = new LinkedHashMap<>();
            fm.put("name", f.name());
            fm.put("quantity", f.quantity());
            fm.put("enabled", f.enabled());
            fm.put("licensed", i.valid() && f.enabled());
            return fm;
        }).toList());
        return m;
    }

    @Override
    protected String text() {
        LicenseInfo i = info();
        StringBuilder out = new StringBuilder("license\n");
        line(out, 1, "licenseId", i.licenseId());
        line(out, 1, "customer", i.customer());
        line(out, 1, "issuer", i.issuer());
        line(out, 1, "validUntil", i.validUntil());
        line(out, 1, "valid", i.valid());
        line(out, 1, "reason", i.reason());
        out.append("features\n");
        List<Feature> features = ordered(i);
        if (features.isEmpty()) {
            out.append(indent(1)).append("none\n");
        }
        for (Feature f : features) {
            boolean licensed = i.valid() && f.enabled();
            if (f.name().equals(HA_MODULE)) {
                out.append(indent(1)).append(HA_MODULE).append('\n');
                line(out, 2, "quantity", quantity(f));
                line(out, 2, "licensed", licensed);
            } else {
                out.append(indent(1)).append("feature\n");
                line(out, 2, "name", f.name());
                line(out, 2, "quantity", quantity(f));
                line(out, 2, "enabled", licensed);
            }
        }
        return out.toString();
    }

    private static String quantity(Feature f) {
        return f.quantity() < 0 ? "unlimited" : String.valueOf(f.quantity());
    }

    private static String indent(int level) {
        return "    ".repeat(level);
    }

    private static void line(StringBuilder out, int level, String key, Object value) {
        String start = indent(level) + key;
        out.append(start).append(" ".repeat(Math.max(1, VALUE_COLUMN - start.length())))
                .append(value == null ? "-" : value).append('\n');
    }
}
