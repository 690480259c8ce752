package io.tandem.role.mta.internal.command;

import io.tandem.role.mta.internal.MtaQueue;

/** Runs the {@code mta:*} commands on an {@link MtaQueue} and returns what they print. */
public final class CommandsProbe {

    private CommandsProbe() {
    }

    public static String queue(MtaQueue mta, boolean json) throws Exception {
        QueueCommand c = new QueueCommand();
        c.mta = mta;
        c.setJson(json);
        return c.render();
    }

    public static String failed(MtaQueue mta, boolean json) throws Exception {
        FailedCommand c = new FailedCommand();
        c.mta = mta;
        c.setJson(json);
        return c.render();
    }

    public static String flush(MtaQueue mta, String id) throws Exception {
        FlushCommand c = new FlushCommand();
        c.mta = mta;
        c.id = id;
        return c.render();
    }
}
