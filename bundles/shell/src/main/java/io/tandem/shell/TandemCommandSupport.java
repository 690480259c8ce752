package io.tandem.shell;

import io.tandem.api.text.Json;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.support.table.ShellTable;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The base of the commands with two outputs: a table or lines for people, {@code --json} for scripts
 * ({@code --no-format} for plain tables). Changes go through {@link CommandSupport#audited} as in every command.
 */
public abstract class TandemCommandSupport extends CommandSupport {

    @Option(name = "--json", description = "Print JSON instead of a table")
    protected boolean json;

    @Option(name = "--no-format", description = "Print the table without borders or alignment")
    protected boolean noFormat;

    /** Same as {@code --json} on the command line. */
    public TandemCommandSupport setJson(boolean json) {
        this.json = json;
        return this;
    }

    /** Same as {@code --no-format} on the command line. */
    public TandemCommandSupport setNoFormat(boolean noFormat) {
        this.noFormat = noFormat;
        return this;
    }

    @Override
    public String render() throws Exception {
        return json ? Json.write(toJson()) + "\n" : text();
    }

    /** The value written for {@code --json}: maps, lists and scalars. */
    protected abstract Object toJson() throws Exception;

    /** The human-readable output. */
    protected abstract String text() throws Exception;

    protected String print(ShellTable table) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream ps = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            table.print(ps, !noFormat);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** Aligned "key : value" lines, as Karaf's own info commands print. */
    protected static String keyValues(java.util.Map<String, ?> values) {
        int width = values.keySet().stream().mapToInt(String::length).max().orElse(0);
        StringBuilder out = new StringBuilder();
        values.forEach((k, v) -> out.append(String.format("%-" + width + "s : %s%n", k, v)));
        return out.toString();
    }
}
