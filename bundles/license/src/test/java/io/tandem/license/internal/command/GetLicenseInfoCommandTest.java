package io.tandem.license.internal.command;

import io.tandem.api.license.LicenseService;
import io.tandem.api.license.LicenseService.Feature;
import io.tandem.api.license.LicenseService.LicenseInfo;
import org.junit.Test;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.Assert.assertEquals;

public class GetLicenseInfoCommandTest {

    static final LicenseInfo VALID = new LicenseInfo(true, null, "L-2026-0042", "Example Mail Ltd", "tandem-test",
            "2026-12-31", List.of(new Feature("ha_basic", 1000, true), new Feature("ZxHA", 1000, true)));

    private int calls;

    private GetLicenseInfoCommand command(LicenseInfo info) {
        GetLicenseInfoCommand c = new GetLicenseInfoCommand();
        c.license = new LicenseService() {
            @Override
            public LicenseInfo info() {
                calls++;
                return info;
            }

            @Override
            public Optional<String> refusal(String feature, int inUse, int count) {
                throw new UnsupportedOperationException();
            }
        };
        return c;
    }

    /** The operators' check, run with the real grep: {@code grep -e ZxHA -e ha_basic -A2}. */
    static String grep(String text) throws Exception {
        Process p = new ProcessBuilder("grep", "-e", "ZxHA", "-e", "ha_basic", "-A2").redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(text.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("grep did not finish within 30 s");
        }
        int rc = p.exitValue();
        if (rc > 1) { // 0: lines found, 1: none, 2: error
            throw new AssertionError("grep failed (exit " + rc + "): " + out);
        }
        return out;
    }

    @Test
    public void text() throws Exception {
        assertEquals(String.join("\n",
                "license",
                "    licenseId                                                   L-2026-0042",
                "    customer                                                    Example Mail Ltd",
                "    issuer                                                      tandem-test",
                "    validUntil                                                  2026-12-31",
                "    valid                                                       true",
                "    reason                                                      -",
                "features",
                "    ZxHA",
                "        quantity                                                1000",
                "        licensed                                                true",
                "    feature",
                "        name                                                    ha_basic",
                "        quantity                                                1000",
                "        enabled                                                 true",
                ""), command(VALID).render());
    }

    @Test
    public void theOperatorsGrepFindsBothFeatures() throws Exception {
        assertEquals(String.join("\n",
                "    ZxHA",
                "        quantity                                                1000",
                "        licensed                                                true",
                "--",
                "        name                                                    ha_basic",
                "        quantity                                                1000",
                "        enabled                                                 true",
                ""), grep(command(VALID).render()));
    }

    @Test
    public void anInvalidLicenseNeverShowsTrue() throws Exception {
        LicenseInfo expired = new LicenseInfo(false, "license L-2026-0042 expired: valid until 2026-01-31", "L-2026-0042",
                "Example Mail Ltd", "tandem-test", "2026-01-31", VALID.features());
        String out = command(expired).render();
        assertEquals(String.join("\n",
                "    ZxHA",
                "        quantity                                                1000",
                "        licensed                                                false",
                "--",
                "        name                                                    ha_basic",
                "        quantity                                                1000",
                "        enabled                                                 false",
                ""), grep(out));
        assertEquals("    valid                                                       false",
                out.lines().filter(l -> l.contains(" valid ")).findFirst().orElseThrow());
        assertEquals("    reason                                                      license L-2026-0042 expired: valid until 2026-01-31",
                out.lines().filter(l -> l.contains("reason")).findFirst().orElseThrow());
    }

    @Test
    public void disabledAndUnlimitedFeatures() throws Exception {
        LicenseInfo info = new LicenseInfo(true, null, "L-1", "C", "tandem-test", "2026-12-31",
                List.of(new Feature("ZxHA", -1, false), new Feature("ha_basic", -1, true), new Feature("chats", 5, true)));
        String out = command(info).render();
        assertEquals(String.join("\n",
                "features",
                "    ZxHA",
                "        quantity                                                unlimited",
                "        licensed                                                false",
                "    feature",
                "        name                                                    chats",
                "        quantity                                                5",
                "        enabled                                                 true",
                "    feature",
                "        name                                                    ha_basic",
                "        quantity                                                unlimited",
                "        enabled                                                 true",
                ""), out.substring(out.indexOf("features\n")));
    }

    @Test
    public void noLicense() throws Exception {
        LicenseInfo none = new LicenseInfo(false, "no license installed: /opt/tandem/etc/tandem.license does not exist",
                null, null, null, null, List.of());
        assertEquals(String.join("\n",
                "license",
                "    licenseId                                                   -",
                "    customer                                                    -",
                "    issuer                                                      -",
                "    validUntil                                                  -",
                "    valid                                                       false",
                "    reason                                                      no license installed: /opt/tandem/etc/tandem.license does not exist",
                "features",
                "    none",
                ""), command(none).render());
        assertEquals("", grep(command(none).render()));
    }

    @Test
    public void json() throws Exception {
        GetLicenseInfoCommand c = command(VALID);
        c.setJson(true);
        assertEquals(String.join("\n",
                "{",
                "  \"valid\": true,",
                "  \"reason\": null,",
                "  \"licenseId\": \"L-2026-0042\",",
                "  \"customer\": \"Example Mail Ltd\",",
                "  \"issuer\": \"tandem-test\",",
                "  \"validUntil\": \"2026-12-31\",",
                "  \"features\": [",
                "    {",
                "      \"name\": \"ZxHA\",",
                "      \"quantity\": 1000,",
                "      \"enabled\": true,",
                "      \"licensed\": true",
                "    },",
                "    {",
                "      \"name\": \"ha_basic\",",
                "      \"quantity\": 1000,",
                "      \"enabled\": true,",
                "      \"licensed\": true",
                "    }",
                "  ]",
                "}",
                ""), c.render());
    }

    @Test
    public void jsonOfAnInvalidLicenseKeepsWhatIsSignedAndSaysItIsNotUsable() throws Exception {
        LicenseInfo expired = new LicenseInfo(false, "license L-1 expired: valid until 2026-01-31", "L-1", "C",
                "tandem-test", "2026-01-31", List.of(new Feature("ha_basic", -1, true)));
        GetLicenseInfoCommand c = command(expired);
        c.setJson(true);
        String out = c.render();
        assertEquals(String.join("\n",
                "  \"features\": [",
                "    {",
                "      \"name\": \"ha_basic\",",
                "      \"quantity\": -1,",
                "      \"enabled\": true,",
                "      \"licensed\": false",
                "    }",
                "  ]",
                "}",
                ""), out.substring(out.indexOf("  \"features\"")));
        assertEquals("{\n  \"valid\": false,\n  \"reason\": \"license L-1 expired: valid until 2026-01-31\",",
                out.substring(0, out.indexOf(",\n  \"licenseId\"") + 1));
    }

    @Test
    public void theLicenseIsReadOncePerRun() throws Exception {
        command(VALID).render();
        assertEquals(1, calls);
    }
}
