package io.tandem.role.mta.internal.delivery;

import org.junit.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class LmtpClientTest {

    private static String stuffed(String message) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LmtpClient.writeDotStuffed(new ByteArrayInputStream(message.getBytes(StandardCharsets.ISO_8859_1)), out);
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    private static LmtpClient.Reply reply(String text) throws IOException {
        return LmtpClient.reply(new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    public void dataIsDotStuffedWithCrlfLineEndsAndTerminated() throws Exception {
        assertEquals("Subject: x\r\n\r\n..leading dot\r\nmid.dot\r\n...\r\n.\r\n", stuffed("Subject: x\r\n\r\n.leading dot\r\nmid.dot\r\n..\r\n"));
        assertEquals("bare LF ends a line\r\n..too\r\n.\r\n", stuffed("bare LF ends a line\n.too\n"));
        assertEquals("no final line end\r\n.\r\n", stuffed("no final line end"));
        assertEquals("a lone \r in a line\r\n.\r\n", stuffed("a lone \r in a line\r\n"));
        assertEquals(".\r\n", stuffed(""));
    }

    @Test
    public void repliesAreParsedStrictly() throws Exception {
        assertEquals(new LmtpClient.Reply(250, "2.0.0 stored"), reply("250 2.0.0 stored\r\n"));
        assertEquals(new LmtpClient.Reply(250, "host PIPELINING SIZE 100"), reply("250-host\r\n250-PIPELINING\r\n250 SIZE 100\r\n"));
        assertEquals(new LmtpClient.Reply(451, ""), reply("451\r\n"));
        assertTrue(reply("554 5.0.0 no\r\n").permanent());
        for (String bad : new String[] {"hello\r\n", "250x\r\n", "650 six hundred\r\n", "250-a\r\n251 b\r\n", "250-cut"}) {
            assertThrows(bad, IOException.class, () -> reply(bad));
        }
    }

    @Test
    public void endpointsMustBeLmtpUris() {
        assertEquals(7025, LmtpClient.address("lmtp://127.0.1.1:7025").getPort());
        assertTrue(LmtpClient.address("lmtp://[::1]:7025").getAddress().isLoopbackAddress());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LmtpClient.address("http://127.0.1.1:7080"));
        assertEquals("LMTP endpoint 'http://127.0.1.1:7080' is not lmtp://host:port", e.getMessage());
    }
}
