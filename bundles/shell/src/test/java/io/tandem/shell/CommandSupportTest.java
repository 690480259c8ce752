package io.tandem.shell;

import org.apache.karaf.shell.api.action.Command;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/** The one way a command changes something: audited as done, refused or failed; refusals named after the command. */
public class CommandSupportTest {

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private PrintStream previousErr;
    private PrintStream previousOut;

    @Before
    public void capture() {
        // slf4j-simple writes to the System.err of the moment
        previousErr = System.err;
        previousOut = System.out;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    }

    @After
    public void restore() {
        System.setErr(previousErr);
        System.setOut(previousOut);
    }

    @Command(scope = "test", name = "rename", description = "renames a thing")
    static final class Rename extends CommandSupport {
        String target = "thing";
        RuntimeException failure;
        String secret;
        final List<String> threadNames = new ArrayList<>();

        @Override
        public String render() {
            threadNames.add(Thread.currentThread().getName());
            return audited(target, () -> {
                if (failure != null) {
                    throw failure;
                }
                return "new-name";
            }, name -> "to=" + name) + "\n";
        }

        @Override
        protected String safeThreadName() {
            return secret == null ? null : "pipe-test:rename ****";
        }
    }

    private String audit() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    public void aChangeDoneIsPrintedAndAuditedWithItsDetail() throws Exception {
        Rename c = new Rename();
        c.execute();
        assertEquals("new-name\n", out.toString(StandardCharsets.UTF_8));
        assertTrue(audit(), audit().contains("action=test:rename target=thing result=ok to=new-name"));
    }

    @Test
    public void aRefusalIsAuditedAndThrownNamedAfterTheCommand() {
        Rename c = new Rename();
        c.failure = new IllegalArgumentException("name 'x y' has a blank");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, c::execute);
        assertEquals("test:rename refused: name 'x y' has a blank", e.getMessage());
        assertSame(c.failure, e.getCause());
        assertTrue(audit(), audit().contains("action=test:rename target=thing result=refused reason=\"name 'x y' has a blank\""));
        assertEquals("nothing printed", "", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    public void aFailureIsAuditedAndThrownAsItIs() {
        Rename c = new Rename();
        c.failure = new IllegalStateException("the directory did not answer in 5 s");
        IllegalStateException e = assertThrows(IllegalStateException.class, c::execute);
        assertSame(c.failure, e);
        assertTrue(audit(), audit().contains("action=test:rename target=thing result=failed reason=\"the directory did not answer in 5 s\""));
    }

    @Test
    public void aCommandWithASecretRunsUnderASafeThreadNameAndGivesTheNameBack() throws Exception {
        String before = Thread.currentThread().getName();
        Rename c = new Rename();
        c.secret = "s3cr3t";
        c.execute();
        c.failure = new IllegalArgumentException("refused");
        assertThrows(IllegalArgumentException.class, c::execute);
        assertEquals(List.of("pipe-test:rename ****", "pipe-test:rename ****"), c.threadNames);
        assertEquals(before, Thread.currentThread().getName());
    }

    @Test
    public void aCommandWithoutItsAnnotationIsAProgrammingError() {
        CommandSupport c = new CommandSupport() {
            @Override
            public String render() {
                return audited("x", () -> "y", y -> "");
            }
        };
        assertThrows(IllegalStateException.class, c::render);
    }
}
