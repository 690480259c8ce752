package io.tandem.supervisor.internal;

import io.tandem.api.node.Health;
import io.tandem.api.node.Role;
import io.tandem.supervisor.ServiceMode;
import io.tandem.supervisor.ServiceState;
import io.tandem.supervisor.ServiceStatus;
import io.tandem.supervisor.internal.command.CommandsForTest;
import org.junit.Test;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class SupervisorRegistryTest {

    static final Instant SINCE = Instant.parse("2026-11-22T10:15:30Z");

    static ServiceStatus status(String name, Role role, ServiceState state, Health health) {
        return new ServiceStatus(name, role, ServiceConfig.defaultMode(role), state, state.holding() ? 4242 : -1, 0,
                state == ServiceState.ACTIVE ? "ok" : "-", SINCE, state.id() + " detail", health);
    }

    static final class Fixed implements ServiceHandle {
        final ServiceStatus status;
        final AtomicInteger restarts = new AtomicInteger();

        Fixed(ServiceStatus status) {
            this.status = status;
        }

        @Override
        public ServiceStatus status() {
            return status;
        }

        @Override
        public ServiceStatus restart() {
            restarts.incrementAndGet();
            return status;
        }
    }

    @Test
    public void roleHealthIsThatOfTheRolesEnabledServices() {
        SupervisorRegistry registry = new SupervisorRegistry();
        assertEquals(Health.up("video role active, no supervised service enabled"), registry.roleHealth(Role.VIDEO));
        registry.addHandle(new Fixed(status("off", Role.VIDEO, ServiceState.DISABLED, Health.down("off: disabled"))));
        assertTrue("a disabled service does not count", registry.roleHealth(Role.VIDEO).up());
        registry.addHandle(new Fixed(status("bridge", Role.VIDEO, ServiceState.STANDBY, Health.down("bridge: standby (active on s1)"))));
        registry.addHandle(new Fixed(status("web", Role.FILES, ServiceState.ACTIVE, Health.up("web active"))));
        assertEquals(Health.down("bridge: standby (active on s1)"), registry.roleHealth(Role.VIDEO));
        assertEquals(Health.up("web active"), registry.roleHealth(Role.FILES));
        assertEquals(List.of("bridge", "off", "web"), registry.list().stream().map(ServiceStatus::name).toList());
    }

    @Test
    public void restartNamesTheServiceOrRefuses() {
        SupervisorRegistry registry = new SupervisorRegistry();
        Fixed web = new Fixed(status("web", Role.FILES, ServiceState.ACTIVE, Health.up("web active")));
        registry.addHandle(web);
        registry.restart("web");
        assertEquals(1, web.restarts.get());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> registry.restart("wbe"));
        assertEquals("no supervised service named 'wbe' on this node (configured: web)", unknown.getMessage());
        registry.addHandle(new Fixed(status("web", Role.CHATS, ServiceState.ACTIVE, Health.up("web active"))));
        assertThrows(IllegalStateException.class, () -> registry.restart("web"));
        assertEquals(1, web.restarts.get());
    }

    @Test
    public void listAndRestartCommands() throws Exception {
        SupervisorRegistry registry = new SupervisorRegistry();
        registry.addHandle(new Fixed(status("bridge", Role.VIDEO, ServiceState.ACTIVE, Health.up("bridge active"))));
        String table = CommandsForTest.list(registry, false);
        List<String> lines = table.lines().toList();
        assertEquals("one row, no header with --no-format: " + table, 1, lines.size());
        List<String> row = List.of(lines.get(0).split("\t")).stream().map(String::trim).toList();
        assertEquals(List.of("bridge", "video", ServiceMode.ACTIVE_STANDBY.id(), "active", "4242", "0", "ok"), row.subList(0, 7));
        String json = CommandsForTest.list(registry, true).replaceAll("\\s+", "");
        assertTrue(json, json.contains("\"state\":\"active\"") && json.contains("\"pid\":4242") && json.contains("\"healthy\":true")
                && json.contains("\"since\":\"2026-11-22T10:15:30Z\""));
        assertTrue(CommandsForTest.restart(registry, "bridge").startsWith("Service bridge restarted: active, pid 4242"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CommandsForTest.restart(registry, "nope"));
        assertTrue(e.getMessage(), e.getMessage().contains("'nope'"));
        assertFalse(CommandsForTest.list(new SupervisorRegistry(), false).contains("bridge"));
    }
}
