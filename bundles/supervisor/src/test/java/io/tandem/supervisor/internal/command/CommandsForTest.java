package io.tandem.supervisor.internal.command;

import io.tandem.supervisor.SupervisedServices;

/** Runs the commands as the shell would, with their references set. */
public final class CommandsForTest {

    private CommandsForTest() {
    }

    public static String list(SupervisedServices services, boolean json) throws Exception {
        ServiceListCommand c = new ServiceListCommand();
        c.services = services;
        return c.setJson(json).setNoFormat(true).render();
    }

    public static String restart(SupervisedServices services, String name) {
        ServiceRestartCommand c = new ServiceRestartCommand();
        c.services = services;
        c.name = name;
        return c.render();
    }
}
