package io.tandem.license.internal.command;

import io.tandem.api.test.ConfigProxy;
import io.tandem.license.internal.LicenseManager;
import io.tandem.license.tool.IssueLicense;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Map;
import java.util.Optional;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/** A license issued by the test tool, read by the component, shown by the command, checked with grep. */
public class LicenseEndToEndTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void issuedVerifiedShownAndGrepped() throws Exception {
        Path file = tmp.getRoot().toPath().resolve("etc/tandem.license");
        String summary = IssueLicense.run(new String[] {"--out", file.toString(), "--customer", "Example Mail Ltd",
                "--license-id", "L-E2E", "--feature", "ZxHA=1000", "--feature", "ha_basic=12"}, LocalDate.now());
        assertTrue(summary, summary.startsWith("Wrote TEST license L-E2E for Example Mail Ltd (issuer tandem-test, valid until "));

        LicenseManager manager = new LicenseManager(ConfigProxy.of(LicenseManager.Config.class, Map.of("file", file.toString())));
        assertTrue(manager.info().reason(), manager.info().valid());
        assertEquals(Optional.of("ha_basic: 12 in use + 3 requested > 12 licensed"), manager.refusal("ha_basic", 12, 3));

        GetLicenseInfoCommand c = new GetLicenseInfoCommand();
        c.license = manager;
        String out = c.render();
        assertEquals(String.join("\n",
                "    ZxHA",
                "        quantity                                                1000",
                "        licensed                                                true",
                "--",
                "        name                                                    ha_basic",
                "        quantity                                                12",
                "        enabled                                                 true",
                ""), GetLicenseInfoCommandTest.grep(out));
        assertTrue(out, out.contains("    issuer                                                      tandem-test\n"));

        // the operator installs a license for more accounts: the next check sees it
        IssueLicense.run(new String[] {"--out", file.toString(), "--license-id", "L-E2E-2",
                "--feature", "ZxHA=1000", "--feature", "ha_basic=unlimited"}, LocalDate.now());
        assertTrue(Files.exists(file));
        assertEquals(Optional.empty(), manager.refusal("ha_basic", 12, 3));
        assertEquals("L-E2E-2", manager.info().licenseId());
    }
}
