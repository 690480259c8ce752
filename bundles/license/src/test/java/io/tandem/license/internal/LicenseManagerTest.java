package io.tandem.license.internal;

import io.tandem.api.license.LicenseService.LicenseInfo;
import io.tandem.api.test.ConfigProxy;
import io.tandem.license.tool.TestIssuer;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;

import static io.tandem.license.internal.TestLicenses.fields;
import static io.tandem.license.internal.TestLicenses.with;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class LicenseManagerTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private Path file;
    private MutableClock clock;
    private LicenseManager manager;
    private String savedKarafEtc;

    /** A clock the test moves. */
    static final class MutableClock extends Clock {
        Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Before
    public void setUp() {
        savedKarafEtc = System.getProperty("karaf.etc");
        file = tmp.getRoot().toPath().resolve("etc/tandem.license");
        clock = new MutableClock(TestLicenses.TODAY.atTime(12, 0).toInstant(ZoneOffset.UTC));
        manager = new LicenseManager(file, TrustedIssuers.bundled(), clock);
    }

    @After
    public void restore() {
        if (savedKarafEtc == null) {
            System.clearProperty("karaf.etc");
        } else {
            System.setProperty("karaf.etc", savedKarafEtc);
        }
    }

    private void install(Map<String, String> fields) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, TestIssuer.license(fields));
    }

    // --- configuration ---

    @Test
    public void theDefaultFileIsInKarafEtc() {
        System.setProperty("karaf.etc", "/opt/tandem/etc");
        LicenseManager m = new LicenseManager(ConfigProxy.of(LicenseManager.Config.class, Map.of()));
        assertEquals(Path.of("/opt/tandem/etc/tandem.license"), m.file());
        assertEquals("no license installed: /opt/tandem/etc/tandem.license does not exist", m.info().reason());
    }

    @Test
    public void anAbsoluteFileIsUsedAsIs() {
        LicenseManager m = new LicenseManager(ConfigProxy.of(LicenseManager.Config.class,
                Map.of("file", "/srv/licenses/../licenses/tandem.license")));
        assertEquals(Path.of("/srv/licenses/tandem.license"), m.file());
    }

    @Test
    public void invalidConfigurationFailsActivationNamingPidKeyAndValue() {
        System.clearProperty("karaf.etc");
        assertEquals("tandem.license: file = '${karaf.etc}/tandem.license' uses ${karaf.etc}, which is not set: give an absolute path",
                assertThrows(IllegalArgumentException.class, () -> LicenseManager.file(LicenseManager.DEFAULT_FILE)).getMessage());
        assertEquals("tandem.license: file = 'etc/tandem.license' must be an absolute path",
                assertThrows(IllegalArgumentException.class, () -> LicenseManager.file("etc/tandem.license")).getMessage());
        assertEquals("tandem.license: file = ' ' is empty: give the license file's absolute path",
                assertThrows(IllegalArgumentException.class, () -> LicenseManager.file(" ")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new LicenseManager(
                ConfigProxy.of(LicenseManager.Config.class, Map.of("file", "relative"))));
    }

    // --- refusal ---

    @Test
    public void withinTheQuantityNothingIsRefused() throws Exception {
        install(fields()); // ha_basic 10
        assertEquals(Optional.empty(), manager.refusal("ha_basic", 0, 10));
        assertEquals(Optional.empty(), manager.refusal("ha_basic", 7, 3));
        assertEquals(Optional.empty(), manager.refusal("ZxHA", 999, 1));
    }

    @Test
    public void beyondTheQuantityTheRefusalSaysByHowMuch() throws Exception {
        install(fields());
        assertEquals(Optional.of("ha_basic: 8 in use + 3 requested > 10 licensed"), manager.refusal("ha_basic", 8, 3));
        assertEquals(Optional.of("ha_basic: 12 in use + 0 requested > 10 licensed"), manager.refusal("ha_basic", 12, 0));
        assertEquals(Optional.of("ZxHA: 1000 in use + 1 requested > 1000 licensed"), manager.refusal("ZxHA", 1000, 1));
    }

    @Test
    public void noOverflowNearIntegerMax() throws Exception {
        install(fields());
        assertEquals(Optional.of("ha_basic: 2147483647 in use + 2147483647 requested > 10 licensed"),
                manager.refusal("ha_basic", Integer.MAX_VALUE, Integer.MAX_VALUE));
    }

    @Test
    public void minusOneIsUnlimited() throws Exception {
        install(with("feature.ha_basic.quantity", "-1"));
        assertEquals(Optional.empty(), manager.refusal("ha_basic", Integer.MAX_VALUE, Integer.MAX_VALUE));
    }

    @Test
    public void zeroLicensesNothing() throws Exception {
        install(with("feature.ha_basic.quantity", "0"));
        assertEquals(Optional.of("ha_basic: 0 in use + 1 requested > 0 licensed"), manager.refusal("ha_basic", 0, 1));
    }

    @Test
    public void aDisabledOrAbsentFeatureIsRefused() throws Exception {
        install(with("feature.ha_basic.enabled", "false"));
        assertEquals(Optional.of("ha_basic: disabled in license L-2026-0042"), manager.refusal("ha_basic", 0, 1));
        assertEquals(Optional.of("mobile: not licensed (license L-2026-0042 has no feature mobile)"), manager.refusal("mobile", 0, 1));
    }

    @Test
    public void anInvalidLicenseRefusesEverythingWithItsReason() throws Exception {
        assertEquals(Optional.of("no license installed: " + file + " does not exist"), manager.refusal("ha_basic", 0, 1));
        Files.createDirectories(file.getParent());
        Files.writeString(file, TestIssuer.license(fields()).replace("= 10\n", "= 10000\n"));
        assertEquals(Optional.of("license signature does not verify"), manager.refusal("ha_basic", 0, 1));
        install(with("validUntil", "2026-01-31"));
        assertEquals(Optional.of("license L-2026-0042 expired: valid until 2026-01-31"), manager.refusal("ZxHA", 0, 0));
    }

    @Test
    public void negativeArgumentsAreAProgrammingError() throws Exception {
        install(fields());
        assertEquals("ha_basic: inUse = -1 must be >= 0",
                assertThrows(IllegalArgumentException.class, () -> manager.refusal("ha_basic", -1, 1)).getMessage());
        assertEquals("ha_basic: count = -3 must be >= 0",
                assertThrows(IllegalArgumentException.class, () -> manager.refusal("ha_basic", 1, -3)).getMessage());
    }

    // --- reload ---

    @Test
    public void aChangedFileIsReadAgain() throws Exception {
        assertFalse(manager.info().valid());
        install(fields());
        LicenseInfo first = manager.info();
        assertTrue(first.reason(), first.valid());
        assertEquals(10, first.feature("ha_basic").orElseThrow().quantity());

        FileTime before = Files.getLastModifiedTime(file);
        install(with("feature.ha_basic.quantity", "50"));
        Files.setLastModifiedTime(file, FileTime.fromMillis(before.toMillis() + 2000));
        assertEquals(50, manager.info().feature("ha_basic").orElseThrow().quantity());
        assertEquals(Optional.empty(), manager.refusal("ha_basic", 40, 10));

        Files.delete(file);
        assertEquals("no license installed: " + file + " does not exist", manager.info().reason());
    }

    @Test
    public void aRewriteWithTheSameModificationTimeButAnotherSizeIsNoticed() throws Exception {
        install(fields());
        FileTime stamp = Files.getLastModifiedTime(file);
        assertEquals(10, manager.info().feature("ha_basic").orElseThrow().quantity());
        install(with("feature.ha_basic.quantity", "5000"));
        Files.setLastModifiedTime(file, stamp);
        assertEquals(5000, manager.info().feature("ha_basic").orElseThrow().quantity());
    }

    @Test
    public void anUnchangedFileIsNotReadAgain() throws Exception {
        install(fields());
        FileTime stamp = Files.getLastModifiedTime(file);
        assertTrue(manager.info().valid());
        // same size, same modification time, same inode: only possible for a deliberate forgery
        // of the stamp, which shows that the contents are not read at each call
        String same = Files.readString(file).replace("= 10\n", "= 99\n");
        Files.writeString(file, same);
        Files.setLastModifiedTime(file, stamp);
        assertEquals(10, manager.info().feature("ha_basic").orElseThrow().quantity());
        assertTrue(manager.info().valid());
    }

    @Test
    public void aCachedLicenseExpiresAtMidnight() throws Exception {
        install(with("validUntil", "2026-03-15"));
        assertTrue(manager.info().valid());
        clock.now = TestLicenses.TODAY.atTime(23, 59, 59).toInstant(ZoneOffset.UTC);
        assertTrue(manager.info().valid());
        clock.now = TestLicenses.TODAY.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC);
        assertEquals("license L-2026-0042 expired: valid until 2026-03-15", manager.info().reason());
        assertEquals(Optional.of("license L-2026-0042 expired: valid until 2026-03-15"), manager.refusal("ZxHA", 0, 1));
    }
}
