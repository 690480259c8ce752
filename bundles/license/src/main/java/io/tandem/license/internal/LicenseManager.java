package io.tandem.license.internal;

import io.tandem.api.license.LicenseService;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.LocalDate;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@link LicenseService} over the signed license file ({@code etc/tandem.license} by default),
 * verified against the issuers trusted by this bundle ({@link TrustedIssuers}). The file's
 * modification time, size and identity are checked at every call (one {@code stat}); the file is
 * read again when they change, so installing a new license takes effect at the next check.
 *
 * <p>Configuration policy OPTIONAL, unlike Tandem's roles: the service must exist to say why
 * something is refused ("no license installed: ..."), and the default file is the documented
 * place of the license; without {@code etc/tandem.license.cfg} the default applies.
 */
@Component(service = LicenseService.class, configurationPid = LicenseManager.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL, immediate = true)
@Designate(ocd = LicenseManager.Config.class)
public class LicenseManager implements LicenseService {

    public static final String PID = "tandem.license";
    static final String DEFAULT_FILE = "${karaf.etc}/tandem.license";
    private static final Logger LOG = LoggerFactory.getLogger(LicenseManager.class);
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]+)}");

    @ObjectClassDefinition(name = "Tandem license", description = "Where the signed license file is")
    public @interface Config {
        @AttributeDefinition(description = "The license file: an absolute path; ${karaf.etc} (and other system properties) are expanded")
        String file() default DEFAULT_FILE;
    }

    /** What the file looked like when it was read: any change means it must be read again. */
    private record Stamp(boolean exists, FileTime modified, long size, Object fileKey) {
    }

    private record Snapshot(Stamp stamp, LicenseFile license) {
    }

    private final Path file;
    private final TrustedIssuers issuers;
    private final Clock clock;
    private final AtomicReference<Snapshot> current = new AtomicReference<>();
    private final AtomicReference<String> lastReported = new AtomicReference<>();

    @Activate
    public LicenseManager(Config config) {
        this(file(config.file()), TrustedIssuers.bundled(), Clock.systemDefaultZone());
        LicenseInfo info = info();
        LOG.info("Started license service ({}, trusted issuers {}): {}", file, issuers.names(), summary(info));
    }

    LicenseManager(Path file, TrustedIssuers issuers, Clock clock) {
        this.file = Objects.requireNonNull(file, "file");
        this.issuers = Objects.requireNonNull(issuers, "issuers");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Deactivate
    void deactivate() {
        LOG.info("Stopped license service ({})", file);
    }

    /** The configured path: placeholders expanded, absolute. */
    static Path file(String value) {
        String v = value == null ? "" : value.strip();
        if (v.isEmpty()) {
            throw invalid(value, "is empty: give the license file's absolute path");
        }
        Matcher m = PLACEHOLDER.matcher(v);
        StringBuilder expanded = new StringBuilder();
        while (m.find()) {
            String property = System.getProperty(m.group(1));
            if (property == null || property.isBlank()) {
                throw invalid(value, "uses ${" + m.group(1) + "}, which is not set: give an absolute path");
            }
            m.appendReplacement(expanded, Matcher.quoteReplacement(property));
        }
        m.appendTail(expanded);
        try {
            Path p = Path.of(expanded.toString());
            if (!p.isAbsolute()) {
                throw invalid(value, "must be an absolute path");
            }
            return p.normalize();
        } catch (InvalidPathException e) {
            throw invalid(value, "is not a path: " + e.getReason());
        }
    }

    private static IllegalArgumentException invalid(String value, String rule) {
        return new IllegalArgumentException(PID + ": file = '" + value + "' " + rule);
    }

    Path file() {
        return file;
    }

    @Override
    public LicenseInfo info() {
        LicenseInfo info = license().at(LocalDate.now(clock));
        String summary = summary(info);
        String previous = lastReported.getAndSet(summary);
        if (previous != null && !previous.equals(summary)) {
            if (info.valid()) {
                LOG.info("License changed: {}", summary);
            } else {
                LOG.warn("License changed: {}", summary);
            }
        }
        return info;
    }

    @Override
    public Optional<String> refusal(String feature, int inUse, int count) {
        Objects.requireNonNull(feature, "feature");
        if (inUse < 0) {
            throw new IllegalArgumentException(feature + ": inUse = " + inUse + " must be >= 0");
        }
        if (count < 0) {
            throw new IllegalArgumentException(feature + ": count = " + count + " must be >= 0");
        }
        LicenseInfo info = info();
        if (!info.valid()) {
            return Optional.of(info.reason());
        }
        Optional<Feature> f = info.feature(feature);
        if (f.isEmpty()) {
            return Optional.of(feature + ": not licensed (license " + info.licenseId() + " has no feature " + feature + ")");
        }
        if (!f.get().enabled()) {
            return Optional.of(feature + ": disabled in license " + info.licenseId());
        }
        long quantity = f.get().quantity();
        if (quantity >= 0 && (long) inUse + count > quantity) {
            return Optional.of(feature + ": " + inUse + " in use + " + count + " requested > " + quantity + " licensed");
        }
        return Optional.empty();
    }

    /** The license file as last read; read again first when it changed (checked with one stat). */
    private LicenseFile license() {
        Stamp stamp = stamp();
        Snapshot snap = current.get();
        if (snap != null && snap.stamp().equals(stamp)) {
            return snap.license();
        }
        // read without a lock: two callers may both read a changed file, the last one published wins
        LicenseFile license = LicenseFile.read(file, issuers);
        current.set(new Snapshot(stamp, license));
        return license;
    }

    private Stamp stamp() {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new Stamp(true, a.lastModifiedTime(), a.size(), a.fileKey());
        } catch (NoSuchFileException e) {
            return new Stamp(false, null, 0, null);
        } catch (IOException e) {
            // unreadable attributes: read the file every time, LicenseFile reports why it fails
            return new Stamp(true, null, -1, new Object());
        }
    }

    private static String summary(LicenseInfo info) {
        if (!info.valid()) {
            return "NOT VALID: " + info.reason();
        }
        StringBuilder out = new StringBuilder("license ").append(info.licenseId()).append(" for ")
                .append(info.customer()).append(" (issuer ").append(info.issuer()).append(") valid until ")
                .append(info.validUntil());
        info.features().forEach(f -> out.append(", ").append(f.name()).append('=')
                .append(f.quantity() < 0 ? "unlimited" : String.valueOf(f.quantity()))
                .append(f.enabled() ? "" : " (disabled)"));
        return out.toString();
    }
}
