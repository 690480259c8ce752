package io.tandem.mailstore.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tandem.api.blob.Volume;
import io.tandem.api.directory.Account;
import io.tandem.api.mailbox.Folder;
import io.tandem.api.mailbox.Message;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

/**
 * The HTTP mailbox API end to end in one JVM on the real parts (directory and mailbox store on H2, blobs
 * on a local volume; see {@link MailstoreFixture}) with the JDK's HttpClient.
 */
public class MailboxHttpApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** CRLF line ends, a folded Subject and 8-bit bytes: the raw answer must give back exactly these. */
    private static final byte[] MESSAGE = ("From: Carol <carol@remote.test>\r\nTo: alice@example.com\r\nSubject: Budget\r\n review\r\n"
            + "Message-ID: <1@remote.test>\r\n\r\nGr\u00fc\u00dfe, 1 \u20ac\r\n").getBytes(StandardCharsets.UTF_8);

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private MailstoreFixture parts;
    private HttpClient client;
    private UUID alice;

    @Before
    public void start() throws Exception {
        parts = new MailstoreFixture(tmp);
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        alice = parts.directory.account("alice@example.com").orElseThrow().id();
    }

    @After
    public void stop() {
        if (parts != null) {
            parts.stop();
        }
    }

    // ---- helpers ----

    private record Answer(int status, HttpResponse<byte[]> response) {
        String text() {
            return new String(response.body(), StandardCharsets.UTF_8);
        }

        JsonNode json() throws Exception {
            assertEquals(text(), "application/json; charset=utf-8", response.headers().firstValue("Content-Type").orElse(""));
            return JSON.readTree(response.body());
        }

        String error() throws Exception {
            return json().path("error").asText();
        }
    }

    private Answer call(MailstoreFixture on, String method, String path, byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + on.role.httpPort() + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        HttpResponse<byte[]> r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Answer(r.statusCode(), r);
    }

    private Answer call(String method, String path, byte[] body) throws Exception {
        return call(parts, method, path, body);
    }

    private Answer get(String path) throws Exception {
        return call("GET", path, null);
    }

    private Answer send(String method, String path, String json) throws Exception {
        return call(method, path, json.getBytes(StandardCharsets.UTF_8));
    }

    private static void assertStatus(int expected, Answer a) {
        assertEquals(a.text(), expected, a.status());
    }

    private long append(String account, long folderId, byte[] message) throws Exception {
        Answer a = call("POST", "/accounts/" + account + "/folders/" + folderId + "/messages", message);
        assertStatus(201, a);
        return a.json().path("itemId").asLong();
    }

    private List<Long> itemIds(String account, long folderId) throws Exception {
        Answer a = get("/accounts/" + account + "/folders/" + folderId + "/messages");
        assertStatus(200, a);
        List<Long> ids = new ArrayList<>();
        a.json().path("messages").forEach(m -> ids.add(m.path("itemId").asLong()));
        return ids;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    // ---- tests ----

    @Test
    public void appendThenListThenFetchRawGivesBackTheSameBytes() throws Exception {
        assertTrue("no mailbox before the first write", parts.store.info(alice).isEmpty());
        Answer appended = call("POST", "/accounts/alice@example.com/folders/2/messages", MESSAGE);
        assertStatus(201, appended);
        long itemId = appended.json().path("itemId").asLong();
        assertEquals(Folder.FIRST_USER_ID, itemId);
        assertEquals(2, appended.json().path("sequence").asLong()); // 1 = the mailbox created by this write

        Answer listed = get("/accounts/alice@example.com/folders/2/messages?offset=0&limit=10");
        assertStatus(200, listed);
        JsonNode messages = listed.json().path("messages");
        assertEquals(listed.text(), 1, messages.size());
        JsonNode m = messages.get(0);
        assertEquals(itemId, m.path("itemId").asLong());
        assertEquals(2, m.path("folderId").asLong());
        assertEquals("Budget review", m.path("subject").asText());
        assertEquals("Carol <carol@remote.test>", m.path("from").asText());
        assertEquals("alice@example.com", m.path("to").asText());
        assertEquals(MESSAGE.length, m.path("size").asLong());
        assertEquals(List.of(), strings(m.path("flags")));
        assertEquals(List.of(), strings(m.path("tags")));
        Message stored = parts.store.message(alice, itemId).orElseThrow();
        assertEquals(java.time.Instant.ofEpochMilli(stored.receivedMillis()).toString(), m.path("received").asText());

        Answer raw = get("/accounts/alice@example.com/messages/" + itemId + "/raw");
        assertStatus(200, raw);
        assertEquals("message/rfc822", raw.response().headers().firstValue("Content-Type").orElse(""));
        assertArrayEquals(MESSAGE, raw.response().body());

        Answer meta = get("/accounts/alice@example.com/messages/" + itemId);
        assertStatus(200, meta);
        assertEquals("Budget review", meta.json().path("subject").asText());
        assertEquals(itemId, meta.json().path("itemId").asLong());
    }

    @Test
    public void aCorruptBlobIsAnErrorNotATruncatedMessage() throws Exception {
        long itemId = append("alice@example.com", Folder.INBOX, MESSAGE);
        Message m = parts.store.message(alice, itemId).orElseThrow();
        try (var files = java.nio.file.Files.walk(tmp.getRoot().toPath())) {
            java.nio.file.Path blob = files.filter(p -> p.getFileName().toString().equals(m.blob().sha256())).findFirst().orElseThrow();
            java.nio.file.Files.write(blob, "From: someone else\r\n\r\ntampered".getBytes(StandardCharsets.UTF_8));
        }
        Answer raw = get("/accounts/alice@example.com/messages/" + itemId + "/raw");
        assertStatus(500, raw);
        assertTrue(raw.text(), raw.error().contains(m.blob().key()));
    }

    @Test
    public void searchMatchesSubjectFromAndTo() throws Exception {
        long budget = append("alice@example.com", Folder.INBOX, MESSAGE);
        long other = append("alice@example.com", Folder.INBOX,
                "From: dave@remote.test\r\nTo: alice@example.com\r\nSubject: Lunch\r\n\r\nnoon?\r\n".getBytes(StandardCharsets.UTF_8));

        JsonNode found = get("/accounts/alice@example.com/search?q=budget").json().path("messages");
        assertEquals(found.toString(), 1, found.size());
        assertEquals(budget, found.get(0).path("itemId").asLong());
        found = get("/accounts/alice@example.com/search?q=DAVE%40remote").json().path("messages");
        assertEquals(found.toString(), 1, found.size());
        assertEquals(other, found.get(0).path("itemId").asLong());
        assertEquals(2, get("/accounts/alice@example.com/search?q=alice&limit=5").json().path("messages").size());
        assertEquals(1, get("/accounts/alice@example.com/search?q=alice&limit=1").json().path("messages").size());
        assertEquals(0, get("/accounts/alice@example.com/search?q=nothing+like+this").json().path("messages").size());

        Answer blank = get("/accounts/alice@example.com/search?q=+");
        assertStatus(400, blank);
        assertTrue(blank.text(), blank.error().contains("search text q ' '"));
    }

    @Test
    public void flagsTagsMoveAndDeleteShowInTheListingAndChangeTheChecksum() throws Exception {
        long itemId = append("alice@example.com", Folder.INBOX, MESSAGE);
        String checksum = parts.store.checksum(alice);

        Answer flags = send("PUT", "/accounts/alice@example.com/messages/" + itemId + "/flags", "[\"\\\\Seen\", \"\\\\Flagged\"]");
        assertStatus(200, flags);
        assertEquals(3, flags.json().path("sequence").asLong());
        JsonNode m = get("/accounts/alice@example.com/messages/" + itemId).json();
        assertEquals(List.of("\\Flagged", "\\Seen"), strings(m.path("flags")));
        assertEquals(List.of("\\Flagged", "\\Seen"), List.copyOf(parts.store.message(alice, itemId).orElseThrow().flags()));
        checksum = changed(checksum);

        assertStatus(200, send("PUT", "/accounts/alice@example.com/messages/" + itemId + "/tags", "[\"work\",\"q3\"]"));
        JsonNode listed = get("/accounts/alice@example.com/folders/2/messages").json().path("messages").get(0);
        assertEquals(List.of("q3", "work"), strings(listed.path("tags")));
        assertEquals(List.of("\\Flagged", "\\Seen"), strings(listed.path("flags")));
        checksum = changed(checksum);

        Answer created = send("POST", "/accounts/alice@example.com/folders", "{\"name\": \"Archive\", \"parentId\": null}");
        assertStatus(201, created);
        long archive = created.json().path("id").asLong();
        checksum = changed(checksum);

        Answer moved = send("POST", "/accounts/alice@example.com/messages/" + itemId + "/move", "{\"folderId\": " + archive + "}");
        assertStatus(200, moved);
        assertEquals(List.of(), itemIds("alice@example.com", Folder.INBOX));
        assertEquals(List.of(itemId), itemIds("alice@example.com", archive));
        assertEquals(archive, parts.store.message(alice, itemId).orElseThrow().folderId());
        checksum = changed(checksum);

        Answer deleted = call("DELETE", "/accounts/alice@example.com/messages/" + itemId, null);
        assertStatus(200, deleted);
        assertEquals(7, deleted.json().path("sequence").asLong());
        assertEquals(List.of(), itemIds("alice@example.com", archive));
        assertTrue(parts.store.message(alice, itemId).isEmpty());
        changed(checksum);

        Answer gone = get("/accounts/alice@example.com/messages/" + itemId);
        assertStatus(400, gone);
        assertEquals("no message " + itemId + " in the mailbox of alice@example.com", gone.error());
    }

    private String changed(String before) {
        String now = parts.store.checksum(alice);
        assertNotEquals("the checksum changed", before, now);
        return now;
    }

    @Test
    public void foldersAreCreatedUnderAParentAndListed() throws Exception {
        Answer empty = get("/accounts/alice@example.com/folders");
        assertStatus(200, empty);
        assertEquals(0, empty.json().path("folders").size());
        assertTrue("reads create no mailbox", parts.store.info(alice).isEmpty());
        assertEquals(0, get("/accounts/alice@example.com/folders/2/messages").json().path("messages").size());
        assertEquals(0, get("/accounts/alice@example.com/search?q=x").json().path("messages").size());

        Answer projects = send("POST", "/accounts/alice@example.com/folders", "{\"name\": \"Projects\"}");
        assertStatus(201, projects);
        long projectsId = projects.json().path("id").asLong();
        Answer tandem = send("POST", "/accounts/alice@example.com/folders", "{\"name\": \"Tandem\", \"parentId\": " + projectsId + "}");
        assertStatus(201, tandem);
        assertEquals(projectsId, tandem.json().path("parentId").asLong());

        JsonNode folders = get("/accounts/alice@example.com/folders").json().path("folders");
        List<String> shown = new ArrayList<>();
        folders.forEach(f -> shown.add(f.path("id").asLong() + ":" + f.path("name").asText() + ":" + f.path("parentId").asText()));
        assertEquals(List.of("2:Inbox:null", "3:Trash:null", "5:Sent:null", projectsId + ":Projects:null",
                tandem.json().path("id").asLong() + ":Tandem:" + projectsId), shown);
        assertEquals(5, parts.store.folders(alice).size());

        Answer twice = send("POST", "/accounts/alice@example.com/folders", "{\"name\": \"Projects\", \"parentId\": null}");
        assertStatus(400, twice);
        assertTrue(twice.text(), twice.error().contains("'Projects'"));
    }

    @Test
    public void anAccountOwnedByAnotherNodeIsMisdirectedToItsOwner() throws Exception {
        Answer bob = get("/accounts/bob@example.com/folders");
        assertStatus(421, bob);
        assertEquals("mbox2", bob.json().path("owner").asText());
        assertEquals("mbox2", bob.response().headers().firstValue("X-Tandem-Owner").orElse(""));
        assertEquals("bob@example.com is hosted on mbox2, not on mbox1", bob.error());
        Answer write = call("POST", "/accounts/bob@example.com/folders/2/messages", MESSAGE);
        assertStatus(421, write);
        UUID bobId = parts.directory.account("bob@example.com").orElseThrow().id();
        assertTrue("nothing written for bob here", parts.store.info(bobId).isEmpty());

        long itemId = append("alice@example.com", Folder.INBOX, MESSAGE);
        Account a = parts.directory.account("alice@example.com").orElseThrow();
        parts.directory.changeOwner(a.id(), "mbox1", a.epoch(), "mbox2");
        Answer moved = get("/accounts/alice@example.com/messages/" + itemId + "/raw");
        assertStatus(421, moved);
        assertEquals("mbox2", moved.response().headers().firstValue("X-Tandem-Owner").orElse(""));
        assertEquals("mbox2", moved.json().path("owner").asText());
        assertStatus(421, send("PUT", "/accounts/alice@example.com/messages/" + itemId + "/flags", "[\"\\\\Seen\"]"));
        assertEquals("the flags were not changed", java.util.Set.of(), parts.store.message(alice, itemId).orElseThrow().flags());
    }

    /**
     * Promoted here, not taken over yet (the copy has not applied the log up to its marker): the copy may lack the
     * former owner's last changes, so it is neither read nor written until it holds the directory's epoch.
     */
    @Test
    public void anAccountThisNodeIsStillTakingOverIsNotReadFromItsStaleCopy() throws Exception {
        Account bob = parts.directory.account("bob@example.com").orElseThrow();
        parts.store.create(bob.id(), bob.epoch()); // a replica copy of bob, at the epoch it followed
        Account promoted = parts.directory.changeOwner(bob.id(), "mbox2", bob.epoch(), "mbox1");

        Answer read = get("/accounts/bob@example.com/folders");
        assertStatus(503, read);
        assertEquals("bob@example.com is being taken over by this node (epoch " + promoted.epoch() + "), try again in a moment",
                read.error());
        assertTrue(read.response().headers().firstValue("Retry-After").isPresent());
        assertStatus(503, call("POST", "/accounts/bob@example.com/folders/2/messages", MESSAGE));

        parts.store.adoptEpochs(java.util.Map.of(bob.id(), promoted.epoch())); // the marker applied: taken over
        assertStatus(200, get("/accounts/bob@example.com/folders"));
    }

    @Test
    public void anUnknownAccountIsNotFoundAndABadAddressIsABadRequest() throws Exception {
        Answer nobody = get("/accounts/nobody@example.com/folders");
        assertStatus(404, nobody);
        assertEquals("no such account 'nobody@example.com'", nobody.error());
        Answer bad = get("/accounts/not-an-address/folders");
        assertStatus(400, bad);
        assertTrue(bad.text(), bad.error().contains("'not-an-address'"));
        assertStatus(404, get("/accounts/alice@example.com/nothing"));
        assertStatus(404, get("/elsewhere"));
        Answer method = call("DELETE", "/accounts/alice@example.com/folders", null);
        assertStatus(405, method);
        assertEquals("GET, POST", method.response().headers().firstValue("Allow").orElse(""));
        // what the HTTP server itself refuses is answered in the API's words too
        for (String path : List.of("/accounts/alice@example.com/folders/%zz/messages", "/accounts/alice%2F..%2Fbob@example.com/folders")) {
            String answer = raw(parts, "GET " + path + " HTTP/1.1\r\nHost: mbox1\r\nConnection: close\r\n\r\n");
            assertTrue(answer, answer.startsWith("HTTP/1.1 400 "));
            assertTrue(answer, answer.contains("Content-Type: application/json; charset=utf-8"));
            JsonNode body = JSON.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4));
            assertTrue(answer, !body.path("error").asText().isBlank());
        }
    }

    @Test
    public void anAddressWithAPercentSignOrASlashReachesTheApi() throws Exception {
        // the local part of an address may hold '%' and '/' (RFC 5322 atext): sent encoded, they are the API's to read
        Answer percent = get("/accounts/al%25ice@example.com/folders");
        assertStatus(404, percent);
        assertEquals("no such account 'al%ice@example.com'", percent.error());
        Answer slash = get("/accounts/al%2Fice@example.com/folders");
        assertStatus(404, slash);
        assertEquals("no such account 'al/ice@example.com'", slash.error());
        assertStatus(404, get("/accounts//folders"));
    }

    @Test
    public void whenTheSpoolFailsAnAppendAsksToRetryAndRecordsNothing() throws Exception {
        Files.delete(parts.spool); // the next message has nowhere to go
        Answer a = call("POST", "/accounts/alice@example.com/folders/2/messages", MESSAGE);
        assertStatus(503, a);
        assertTrue(a.text(), a.error().startsWith("this Mailstore's spool failed ("));
        assertTrue(a.text(), a.response().headers().firstValue("Retry-After").isPresent());
        assertTrue("nothing recorded", parts.store.info(alice).isEmpty());
        Files.createDirectories(parts.spool);
        append("alice@example.com", Folder.INBOX, MESSAGE); // and the next attempt is stored
    }

    /** Sends these bytes on a new connection and reads the answer until the server closes it. */
    private static String raw(MailstoreFixture on, String request) throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", on.role.httpPort())) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    public void badInputIsRefusedNamingTheValue() throws Exception {
        long itemId = append("alice@example.com", Folder.INBOX, MESSAGE);
        String sum = parts.store.checksum(alice);
        Map<String, Answer> answers = new java.util.LinkedHashMap<>();
        answers.put("folder id 'abc' is not a number", get("/accounts/alice@example.com/folders/abc/messages"));
        answers.put("item id '0' is not a valid id", get("/accounts/alice@example.com/messages/0"));
        answers.put("no folder 999 in the mailbox of alice@example.com", get("/accounts/alice@example.com/folders/999/messages"));
        answers.put("no folder 998 in the mailbox of alice@example.com", call("POST", "/accounts/alice@example.com/folders/998/messages", MESSAGE));
        answers.put("no message 4242 in the mailbox of alice@example.com", get("/accounts/alice@example.com/messages/4242/raw"));
        answers.put("limit 0 is not between 1 and 1000", get("/accounts/alice@example.com/folders/2/messages?limit=0"));
        answers.put("offset 'x' is not a number", get("/accounts/alice@example.com/folders/2/messages?offset=x"));
        String flags = "/accounts/alice@example.com/messages/" + itemId + "/flags";
        answers.put("bad JSON at offset 9: Unexpected end-of-input: expected close marker for Array", send("PUT", flags, "[\"\\\\Seen\""));
        answers.put("got element number 1", send("PUT", flags, "[\"\\\\Seen\", 1]"));
        answers.put("expected a JSON array of strings, got an object", send("PUT", flags, "{}"));
        answers.put("flag ' ' is invalid", send("PUT", flags, "[\" \"]"));
        answers.put("no message 4243 in the mailbox of alice@example.com", send("PUT", "/accounts/alice@example.com/messages/4243/tags", "[]"));
        String move = "/accounts/alice@example.com/messages/" + itemId + "/move";
        answers.put("field 'folderId' must be a folder id, got string \"x\"", send("POST", move, "{\"folderId\": \"x\"}"));
        answers.put("number '2.5' is not an integer", send("POST", move, "{\"folderId\": 2.5}"));
        answers.put("no folder 77 in the mailbox of alice@example.com", send("POST", move, "{\"folderId\": 77}"));
        answers.put("unknown field 'folder'", send("POST", move, "{\"folder\": 3}"));
        answers.put("Duplicate field 'folderId'", send("POST", move, "{\"folderId\": 3, \"folderId\": 5}"));
        answers.put("the request body is empty", send("POST", move, ""));
        answers.put("folder name 'a/b' is invalid", send("POST", "/accounts/alice@example.com/folders", "{\"name\": \"a/b\"}"));
        answers.put("no folder 12345 in the mailbox of alice@example.com",
                send("POST", "/accounts/alice@example.com/folders", "{\"name\": \"x\", \"parentId\": 12345}"));
        answers.put("the message is empty", call("POST", "/accounts/alice@example.com/folders/2/messages", new byte[0]));
        for (Map.Entry<String, Answer> e : answers.entrySet()) {
            assertEquals(e.getKey() + ": " + e.getValue().text(), 400, e.getValue().status());
            assertTrue("expected '" + e.getKey() + "' in " + e.getValue().text(), e.getValue().error().contains(e.getKey()));
        }
        assertEquals("nothing changed", sum, parts.store.checksum(alice));
        assertEquals(List.of(itemId), itemIds("alice@example.com", Folder.INBOX));
    }

    @Test
    public void mailDeliveredOverLmtpIsReadOverHttp() throws Exception {
        assertEquals("RCPT alice@example.com 250\nDATA alice@example.com 250", parts.lmtp("alice@example.com"));
        JsonNode inbox = get("/accounts/alice@example.com/folders/2/messages").json().path("messages");
        assertEquals(inbox.toString(), 1, inbox.size());
        assertEquals("Quarterly figures", inbox.get(0).path("subject").asText());
        Answer raw = get("/accounts/alice@example.com/messages/" + inbox.get(0).path("itemId").asLong() + "/raw");
        assertStatus(200, raw);
        Message m = parts.store.message(alice, inbox.get(0).path("itemId").asLong()).orElseThrow();
        try (InputStream in = parts.blobs.open(m.blob())) {
            assertArrayEquals(in.readAllBytes(), raw.response().body());
        }
        assertTrue(raw.text(), raw.text().endsWith("\r\n\r\nHello Alice\r\n"));
    }

    @Test
    public void whenTheMailboxDatabaseIsDownARequestAsksToRetry() throws Exception {
        append("alice@example.com", 2, MESSAGE);
        parts.store.deactivateForTest(); // its pool is closed: every statement fails
        Answer list = get("/accounts/alice@example.com/folders/2/messages");
        assertStatus(503, list);
        assertEquals("5", list.response().headers().firstValue("Retry-After").orElse(""));
        assertEquals("mailbox store unavailable, try again later", list.error());
        Answer append = call("POST", "/accounts/alice@example.com/folders/2/messages", MESSAGE);
        assertStatus(503, append);
    }

    @Test
    public void whenTheDirectoryIsDownARequestAsksToRetry() throws Exception {
        parts.directory.deactivateForTest(); // its pool is closed: every lookup fails
        Answer a = get("/accounts/bob@example.com/folders/2/messages");
        assertStatus(503, a);
        assertEquals("directory unavailable, try again later", a.error());
    }

    @Test
    public void whenTheBlobStoreIsDownAnAppendAsksToRetryAndRecordsNothing() throws Exception {
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        var bucket = parts.directory.createBucket("MinIO", "http://127.0.0.1:" + closedPort, "mail", "", "tandemkey", "s3cr3tkey");
        Volume s3 = parts.directory.createVolume("s3", Volume.Kind.PRIMARY, Volume.Type.S3, bucket.id(), "mailstore", true);
        parts.directory.setCurrent(s3.id());

        Answer a = call("POST", "/accounts/alice@example.com/folders/2/messages", MESSAGE);
        assertStatus(503, a);
        assertEquals("5", a.response().headers().firstValue("Retry-After").orElse(""));
        assertEquals("message store unavailable, try again later", a.error());
        assertTrue("no mailbox change without the blob", parts.store.info(alice).isEmpty());
    }

    @Test
    public void aMessageLargerThanMaxMessageBytesIsRefused() throws Exception {
        MailstoreFixture small = new MailstoreFixture(tmp, Map.of("max_message_bytes", 1024L));
        try {
            byte[] big = new byte[2000];
            java.util.Arrays.fill(big, (byte) 'x');
            Answer a = call(small, "POST", "/accounts/alice@example.com/folders/2/messages", big);
            assertEquals(a.text(), 413, a.status());
            assertTrue(a.text(), a.error().contains("max.message.bytes (1024 bytes)"));
            UUID id = small.directory.account("alice@example.com").orElseThrow().id();
            assertTrue(small.store.info(id).isEmpty());
        } finally {
            small.stop();
        }
    }

    /** Opens a connection that starts an append of 1,000 bytes, sends 10 of them and then nothing. */
    private static java.net.Socket stalledAppend(MailstoreFixture on) throws Exception {
        java.net.Socket s = new java.net.Socket("127.0.0.1", on.role.httpPort());
        s.getOutputStream().write(("POST /accounts/alice@example.com/folders/2/messages HTTP/1.1\r\nHost: mbox1\r\n"
                + "Content-Length: 1000\r\n\r\nFrom: a@b\r\n").getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        return s;
    }

    @Test
    public void aClientThatStallsIsCutOffAndDoesNotHoldTheApi() throws Exception {
        // every request thread taken by a client that stopped sending its message
        MailstoreFixture slow = new MailstoreFixture(tmp, Map.of("http_threads", 2, "http_idle_timeout_seconds", 1));
        List<java.net.Socket> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                stalled.add(stalledAppend(slow));
            }
            // another client is still answered: the stalled requests end at the idle time-out and free their threads
            Answer a = call(slow, "GET", "/accounts/alice@example.com/folders", null);
            assertStatus(200, a);
            for (java.net.Socket s : stalled) {
                s.setSoTimeout(30_000); // bounded: the server closes at 1 s of silence
                byte[] rest = s.getInputStream().readAllBytes(); // ends when the server closes the connection
                // closed without an answer: no 2xx, and no error of the server's (the client stalled, not the server)
                assertEquals("", new String(rest, StandardCharsets.US_ASCII));
            }
            UUID id = slow.directory.account("alice@example.com").orElseThrow().id();
            assertTrue("nothing stored from a message that never arrived whole", slow.store.info(id).isEmpty());
        } finally {
            for (java.net.Socket s : stalled) {
                s.close();
            }
            slow.stop();
        }
    }

    @Test
    public void theApiIsPublishedAsAnEndpointAndStopsWithTheRole() throws Exception {
        int port = parts.role.httpPort();
        assertEquals("http://127.0.0.1:" + port + "/accounts", parts.role.httpUri());
        assertTrue(parts.role.health().detail(), parts.role.health().detail().contains(parts.role.httpUri()));
        parts.stop();
        parts = null;
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 2000);
            org.junit.Assert.fail("HTTP port " + port + " still accepts connections after the role stopped");
        } catch (java.net.ConnectException expected) {
            // refused: the listener is closed
        }
    }
}
