package io.tandem.itests;

import io.tandem.api.node.Role;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

import java.util.Set;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * Live role switches through ConfigurationAdmin (what editing etc/tandem.node.cfg or
 * {@code node:set-roles} does) on a node started with {@code roles = core,mta}. Each test brings the
 * node to the state it starts from, so the tests pass in any order.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RoleSwitchIT extends TandemKarafTestSupport {

    @org.ops4j.pax.exam.Configuration
    public Option[] config() {
        return tandemConfiguration("core,mta");
    }

    @Test
    public void rolesSwitchLiveToExactlyTheConfiguredOnes() throws Exception {
        awaitClusterConnected();

        setRolesConfiguration("mailstore,video");
        awaitRoles(Role.MAILSTORE, Role.VIDEO);
        assertEquals(roles(Role.MAILSTORE, Role.VIDEO), localNode.configuredRoles());
        assertTrue("node health: " + localNode.health(), localNode.health().up());
        assertEquals(200, httpGet("/health/mailstore").statusCode());
        assertEquals(200, httpGet("/health/video").statusCode());
        assertEquals(503, httpGet("/health/core").statusCode());
        assertEquals(503, httpGet("/health/mta").statusCode());

        // and on to a disjoint set: everything of the previous one goes
        setRolesConfiguration("core,chats");
        awaitRoles(Role.CORE, Role.CHATS);
        assertEquals(roles(Role.CORE, Role.CHATS), localNode.configuredRoles());
        assertEquals(200, httpGet("/health/core").statusCode());
        assertEquals(503, httpGet("/health/video").statusCode());
    }

    @Test
    public void unknownRoleIsRefusedAndTheRolesStay() throws Exception {
        setRolesConfiguration("mailstore,video");
        await("configured roles = [mailstore, video]", () -> localNode.configuredRoles(), roles(Role.MAILSTORE, Role.VIDEO)::equals);
        awaitRoleFeatures(Role.MAILSTORE, Role.VIDEO);
        // the role activator uninstalls before it installs: once both are active, nothing moves any more
        Set<Role> activeBefore = await("mailstore and video to be active", () -> localNode.activeRoles(),
                active -> active.containsAll(roles(Role.MAILSTORE, Role.VIDEO)));

        setRolesConfiguration("mailstore,bogus");
        String error = await("the configuration mailstore,bogus to be refused",
                () -> localNode.configurationError().orElse(null), e -> e != null);
        assertTrue("the error should name 'bogus': " + error, error.contains("'bogus'"));
        assertTrue("the error should name the key: " + error, error.contains("roles"));
        // refused: the last valid configuration stays in force, nothing is installed or uninstalled
        assertEquals(roles(Role.MAILSTORE, Role.VIDEO), localNode.configuredRoles());
        assertEquals(features(Role.MAILSTORE, Role.VIDEO), installedRoleFeatures());
        assertEquals(activeBefore, localNode.activeRoles());
        String info = execute("node:info");
        assertTrue("node:info should show the refusal:\n" + info, info.matches("(?s).*configurationError\\s*: [^\\n]*'bogus'.*"));

        // a valid configuration clears the error
        setRolesConfiguration("mailstore,video");
        await("the configuration error to clear", () -> localNode.configurationError(), e -> e.isEmpty());
        assertEquals(features(Role.MAILSTORE, Role.VIDEO), installedRoleFeatures());
    }
}
