package io.tandem.mailstore.internal.http;

import io.tandem.mailstore.internal.Mailboxes;

import io.tandem.api.directory.DirectoryUnavailableException;
import io.tandem.api.mailbox.MailboxStoreUnavailableException;
import io.tandem.api.blob.BlobException;
import io.tandem.api.blob.BlobRef;
import io.tandem.api.blob.BlobService;
import io.tandem.api.blob.Volume;
import io.tandem.api.blob.VolumeRegistry;
import io.tandem.api.directory.Account;
import io.tandem.api.directory.AccountNames;
import io.tandem.api.directory.DirectoryService;
import io.tandem.api.mailbox.Folder;
import io.tandem.api.mailbox.MailboxChange;
import io.tandem.api.mailbox.MailboxNotFoundException;
import io.tandem.api.mailbox.MailboxStore;
import io.tandem.api.mailbox.MailboxTransaction;
import io.tandem.api.mailbox.Message;
import io.tandem.api.mailbox.Mutation;
import io.tandem.api.mailbox.StaleEpochException;
import io.tandem.api.mailbox.WritesFencedException;
import io.tandem.api.mailbox.EpochNotReachedException;
import io.tandem.api.mailbox.MissingHookException;
import io.tandem.api.replication.EventLogException;
import io.tandem.api.text.Json;
import io.tandem.mailstore.internal.Summary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The HTTP mailbox API of this Mailstore, for the accounts it owns (JSON everywhere but the raw
 * message). Routes, under {@code /accounts/{account}} (the full address):
 * <pre>
 * GET    /folders                           folders (id, name, parentId)
 * POST   /folders                           {"name": "...", "parentId": null|N} : creates a folder (201)
 * GET    /folders/{folderId}/messages       ?offset=0&amp;limit=50 : a page of messages, newest first
 * POST   /folders/{folderId}/messages       raw RFC 822 body: appends a message (201)
 * GET    /search                            ?q=text&amp;limit=50 : messages whose subject, from or to contain q
 * GET    /messages/{itemId}                 message metadata
 * GET    /messages/{itemId}/raw             the message (message/rfc822), verified as read from the blob store
 * PUT    /messages/{itemId}/flags | /tags   ["\\Seen", ...] : replaces the flags or tags
 * POST   /messages/{itemId}/move            {"folderId": N}
 * DELETE /messages/{itemId}
 * </pre>
 * An account owned by another node answers 421 with its owner (body {@code owner}, header
 * {@value #OWNER_HEADER}); an unknown account 404; bad input (ids, unknown folder or message, JSON)
 * 400 naming the value; a storage failure that may pass, or an account this node is still taking over (its
 * copy below the directory's epoch: neither read nor written), 503 with {@code Retry-After}. Every write is
 * one {@link MailboxStore#execute} under the account's current ownership epoch; the mailbox of an
 * owned account is created by its first write (reads of a missing mailbox answer empty lists).
 */
public final class MailboxApi {

    public static final String OWNER_HEADER = "X-Tandem-Owner";
    static final int MAX_JSON_BYTES = 64 * 1024;
    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 1000;
    private static final Logger LOG = LoggerFactory.getLogger(MailboxApi.class);

    private final Supplier<String> localNode;
    private final DirectoryService directory;
    private final VolumeRegistry volumes;
    private final BlobService blobs;
    private final MailboxStore store;
    private final Clock clock;
    private final long maxMessageBytes;
    private final Path spool;

    public MailboxApi(Supplier<String> localNode, DirectoryService directory, VolumeRegistry volumes, BlobService blobs,
                      MailboxStore store, Clock clock, long maxMessageBytes, Path spool) throws IOException {
        this.localNode = localNode;
        this.directory = directory;
        this.volumes = volumes;
        this.blobs = blobs;
        this.store = store;
        this.clock = clock;
        this.maxMessageBytes = maxMessageBytes;
        this.spool = Files.createDirectories(spool);
    }

    /** An account owned here, with the epoch its writes go under. */
    private record Owned(UUID id, String name, long epoch) {
    }

    /**
     * Serves one request; never throws (errors are answered as JSON). A connection that fails or stalls
     * ({@link Exchange.ConnectionFailed}) is closed without an answer: nobody is there to read one.
     */
    void handle(Exchange exchange) {
        try {
            try {
                route(exchange);
            } catch (ApiException e) {
                error(exchange, e);
            } catch (IllegalArgumentException e) {
                error(exchange, ApiException.badRequest(e.getMessage()));
            } catch (StaleEpochException e) {
                error(exchange, ApiException.unavailable("ownership is changing: " + e.getMessage()));
            } catch (MailboxStoreUnavailableException | DirectoryUnavailableException e) {
                String what = e instanceof DirectoryUnavailableException ? "directory" : "mailbox store";
                LOG.warn("Mailbox API {}: {} unavailable ({})", exchange.describe(), what, e.toString());
                error(exchange, ApiException.unavailable(what + " unavailable, try again later"));
            } catch (Exchange.ConnectionFailed e) {
                throw e;
            } catch (IOException e) {
                // this node's spool (a full disk, for one): nothing was recorded, the client may try again
                LOG.warn("Mailbox API {}: the spool failed ({})", exchange.describe(), e.toString());
                error(exchange, ApiException.unavailable("this Mailstore's spool failed (" + e.getMessage() + "), try again later"));
            } catch (RuntimeException e) {
                LOG.error("Mailbox API {} failed", exchange.describe(), e);
                error(exchange, new ApiException(500, "internal error: " + e));
            }
        } catch (IOException e) {
            LOG.debug("Mailbox API {}: connection failed ({})", exchange.describe(), e.toString());
            exchange.abort(e);
        } finally {
            exchange.close();
        }
    }

    private void route(Exchange ex) throws IOException {
        String rawPath = ex.rawPath();
        String[] s = rawPath.split("/", -1);
        // s[0] is "" (the leading slash), s[1] "accounts", s[2] the account, then the resource
        if (s.length < 4 || !s[0].isEmpty() || !s[1].equals("accounts") || List.of(s).subList(2, s.length).contains("")) {
            throw new ApiException(404, "no such path '" + rawPath + "'");
        }
        String account = decode(s[2]);
        String method = ex.method();
        String[] r = java.util.Arrays.copyOfRange(s, 3, s.length);
        Map<String, String> query = query(ex.rawQuery());
        if (r.length == 1 && r[0].equals("folders")) {
            allow(method, "GET", "POST");
            Owned a = owned(account);
            if (method.equals("GET")) {
                listFolders(ex, a);
            } else {
                createFolder(ex, a);
            }
        } else if (r.length == 3 && r[0].equals("folders") && r[2].equals("messages")) {
            allow(method, "GET", "POST");
            Owned a = owned(account);
            long folderId = id("folder id", decode(r[1]));
            if (method.equals("GET")) {
                listMessages(ex, a, folderId, query);
            } else {
                append(ex, a, folderId);
            }
        } else if (r.length == 1 && r[0].equals("search")) {
            allow(method, "GET");
            search(ex, owned(account), query);
        } else if (r.length == 2 && r[0].equals("messages")) {
            allow(method, "GET", "DELETE");
            Owned a = owned(account);
            long itemId = id("item id", decode(r[1]));
            if (method.equals("GET")) {
                send(ex, 200, messageJson(a, requireMessage(a, itemId)));
            } else {
                MailboxChange c = write(a, tx -> {
                    requireMessage(tx, a, itemId);
                    tx.deleteMessage(itemId);
                });
                send(ex, 200, result(a, c, "itemId", itemId));
            }
        } else if (r.length == 3 && r[0].equals("messages")) {
            String action = r[2];
            switch (action) {
                case "raw" -> allow(method, "GET");
                case "flags", "tags" -> allow(method, "PUT");
                case "move" -> allow(method, "POST");
                default -> throw new ApiException(404, "no such path '" + rawPath + "'");
            }
            Owned a = owned(account);
            long itemId = id("item id", decode(r[1]));
            switch (action) {
                case "raw" -> raw(ex, a, itemId);
                case "flags", "tags" -> keywords(ex, a, itemId, action);
                default -> move(ex, a, itemId);
            }
        } else {
            throw new ApiException(404, "no such path '" + rawPath + "'");
        }
    }

    // ---- reads ----

    private void listFolders(Exchange ex, Owned a) throws IOException {
        List<Folder> folders = readOrEmpty(() -> store.folders(a.id()));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("account", a.name());
        body.put("folders", folders.stream().map(MailboxApi::folderJson).toList());
        send(ex, 200, body);
    }

    private void listMessages(Exchange ex, Owned a, long folderId, Map<String, String> query) throws IOException {
        int offset = intParam(query, "offset", 0, 0, Integer.MAX_VALUE);
        int limit = intParam(query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
        List<Message> messages = readOrEmpty(() -> {
            List<Folder> folders = store.folders(a.id());
            if (folders.stream().noneMatch(f -> f.id() == folderId)) {
                throw ApiException.badRequest("no folder " + folderId + " in the mailbox of " + a.name());
            }
            return store.messages(a.id(), folderId, offset, limit);
        });
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("account", a.name());
        body.put("folderId", folderId);
        body.put("offset", offset);
        body.put("limit", limit);
        body.put("messages", messages.stream().map(MailboxApi::messageJson).toList());
        send(ex, 200, body);
    }

    private void search(Exchange ex, Owned a, Map<String, String> query) throws IOException {
        String q = query.get("q");
        if (q == null || q.isBlank()) {
            throw ApiException.badRequest("search text q '" + (q == null ? "" : q) + "' is missing or blank");
        }
        int limit = intParam(query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
        List<Message> found = readOrEmpty(() -> store.search(a.id(), q, limit));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("account", a.name());
        body.put("q", q);
        body.put("messages", found.stream().map(MailboxApi::messageJson).toList());
        send(ex, 200, body);
    }

    private Message requireMessage(Owned a, long itemId) {
        Optional<Message> m;
        try {
            m = store.message(a.id(), itemId);
        } catch (MailboxNotFoundException e) {
            m = Optional.empty();
        }
        return m.orElseThrow(() -> ApiException.badRequest("no message " + itemId + " in the mailbox of " + a.name()));
    }

    private void raw(Exchange ex, Owned a, long itemId) throws IOException {
        Message m = requireMessage(a, itemId);
        // read (and so verify) the whole blob before answering: a corrupt blob is an error, not a truncated 200
        Path copy = Files.createTempFile(spool, "http-raw-", ".eml");
        try {
            try (InputStream in = blobs.open(m.blob()); OutputStream out = Files.newOutputStream(copy)) {
                in.transferTo(out);
            } catch (BlobException e) {
                throw blobFailure("reading message " + itemId + " of " + a.name(), e);
            } catch (IOException e) {
                LOG.error("Message {} of {}: blob {} failed verification: {}", itemId, a.name(), m.blob().key(), e.getMessage());
                throw new ApiException(500, "message " + itemId + " of " + a.name() + ": stored blob " + m.blob().key()
                        + " failed verification: " + e.getMessage(), e);
            }
            long size = Files.size(copy);
            ex.header("Content-Type", "message/rfc822");
            ex.header("Cache-Control", "no-store");
            try (OutputStream out = ex.respond(200, size)) {
                Files.copy(copy, out);
            }
        } finally {
            Files.deleteIfExists(copy);
        }
    }

    // ---- writes ----

    private void append(Exchange ex, Owned a, long folderId) throws IOException {
        Path message = Files.createTempFile(spool, "http-", ".eml");
        try {
            long size = readBody(ex, maxMessageBytes, "max.message.bytes", message);
            if (size == 0) {
                throw ApiException.badRequest("the message is empty: expected a raw RFC 822 message as the request body");
            }
            Volume volume = volumes.current(Volume.Kind.PRIMARY)
                    .orElseThrow(() -> ApiException.unavailable("no current primary volume on this Mailstore"));
            // refuse an unknown folder before storing anything (a mailbox not yet created will have the system folders)
            List<Folder> folders = store.info(a.id()).isPresent() ? readOrEmpty(() -> store.folders(a.id())) : Folder.systemFolders();
            if (folders.stream().noneMatch(f -> f.id() == folderId)) {
                throw ApiException.badRequest("no folder " + folderId + " in the mailbox of " + a.name());
            }
            BlobRef blob;
            try (InputStream in = Files.newInputStream(message)) {
                blob = blobs.put(volume.id(), in);
            } catch (BlobException e) {
                throw blobFailure("storing a message for " + a.name(), e);
            }
            Summary summary = Summary.of(message);
            long received = clock.millis();
            long[] itemId = new long[1];
            MailboxChange c = write(a, tx -> {
                requireFolder(tx, a, folderId);
                itemId[0] = tx.addMessage(folderId, blob, blob.size(), received, summary.subject(), summary.from(),
                        summary.to(), Set.of(), Set.of());
            });
            send(ex, 201, result(a, c, "itemId", itemId[0]));
        } finally {
            Files.deleteIfExists(message);
        }
    }

    private void createFolder(Exchange ex, Owned a) throws IOException {
        Map<String, Object> fields = JsonBody.object(jsonBody(ex), Set.of("name", "parentId"));
        if (!(fields.get("name") instanceof String name)) {
            throw ApiException.badRequest("field 'name' must be a string, got " + JsonBody.describe(fields.get("name")));
        }
        Object p = fields.get("parentId");
        if (p != null && !(p instanceof Long)) {
            throw ApiException.badRequest("field 'parentId' must be a folder id or null, got " + JsonBody.describe(p));
        }
        Long parentId = (Long) p;
        if (parentId != null) {
            id("parent folder id", parentId.toString());
        }
        long[] folderId = new long[1];
        MailboxChange c = write(a, tx -> {
            if (parentId != null) {
                requireFolder(tx, a, parentId);
            }
            folderId[0] = tx.createFolder(name, parentId);
        });
        Map<String, Object> body = result(a, c, "id", folderId[0]);
        body.put("name", name);
        body.put("parentId", parentId);
        send(ex, 201, body);
    }

    private void keywords(Exchange ex, Owned a, long itemId, String which) throws IOException {
        Set<String> values = JsonBody.strings(jsonBody(ex));
        MailboxChange c = write(a, tx -> {
            requireMessage(tx, a, itemId);
            if (which.equals("flags")) {
                tx.setFlags(itemId, values);
            } else {
                tx.setTags(itemId, values);
            }
        });
        Map<String, Object> body = result(a, c, "itemId", itemId);
        body.put(which, values.stream().sorted().toList());
        send(ex, 200, body);
    }

    private void move(Exchange ex, Owned a, long itemId) throws IOException {
        Map<String, Object> fields = JsonBody.object(jsonBody(ex), Set.of("folderId"));
        if (!(fields.get("folderId") instanceof Long folderId)) {
            throw ApiException.badRequest("field 'folderId' must be a folder id, got " + JsonBody.describe(fields.get("folderId")));
        }
        id("folder id", folderId.toString());
        MailboxChange c = write(a, tx -> {
            requireMessage(tx, a, itemId);
            requireFolder(tx, a, folderId);
            tx.moveMessage(itemId, folderId);
        });
        Map<String, Object> body = result(a, c, "itemId", itemId);
        body.put("folderId", folderId);
        send(ex, 200, body);
    }

    /** One change through the store's single transaction path, creating the mailbox first if needed. */
    private MailboxChange write(Owned a, Mutation mutation) {
        Mailboxes.ensure(store, a.id(), a.epoch());
        try {
            return store.execute(a.id(), a.epoch(), mutation);
        } catch (StaleEpochException e) {
            Account now = directory.owner(a.id()).orElse(null);
            if (now != null && !now.mailHost().equals(localNode.get())) {
                throw misdirected(a.name(), now.mailHost());
            }
            throw ApiException.unavailable("ownership of " + a.name() + " is changing (" + e.getMessage() + "), try again later");
        } catch (MissingHookException | WritesFencedException e) {
            throw ApiException.unavailable(e.getMessage());
        } catch (EpochNotReachedException e) {
            throw ApiException.unavailable(a.name() + " is being taken over by this node, try again in a moment");
        } catch (EventLogException e) {
            LOG.warn("Mailbox API: change of {} not acknowledged: replication log unavailable ({})", a.name(), e.getMessage());
            throw ApiException.unavailable("replication log unavailable, change not made, try again later");
        }
    }

    private static void requireFolder(MailboxTransaction tx, Owned a, long folderId) {
        if (tx.folders().stream().noneMatch(f -> f.id() == folderId)) {
            throw new IllegalArgumentException("no folder " + folderId + " in the mailbox of " + a.name());
        }
    }

    private static void requireMessage(MailboxTransaction tx, Owned a, long itemId) {
        if (tx.message(itemId).isEmpty()) {
            throw new IllegalArgumentException("no message " + itemId + " in the mailbox of " + a.name());
        }
    }

    private static Map<String, Object> result(Owned a, MailboxChange c, String idField, long id) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("account", a.name());
        body.put(idField, id);
        body.put("sequence", c.sequence());
        return body;
    }

    // ---- accounts and ownership ----

    private Owned owned(String address) {
        String name;
        try {
            name = AccountNames.account(address);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        Account account = directory.account(name).orElseThrow(() -> new ApiException(404, "no such account '" + name + "'"));
        Account owner = directory.owner(account.id()).orElse(account);
        if (!owner.mailHost().equals(localNode.get())) {
            throw misdirected(account.name(), owner.mailHost());
        }
        switch (owner.status()) {
            case ACTIVE -> {
            }
            case MAINTENANCE -> throw ApiException.unavailable(account.name() + " is in maintenance, try again later");
            default -> throw new ApiException(403, account.name() + " is " + owner.status().id());
        }
        // a copy still below the directory's epoch is being taken over here: it may lack the former owner's last
        // changes until it applied the log up to its promotion marker, so it is not read (as it is not written)
        java.util.OptionalLong copy = store.epoch(account.id());
        if (copy.isPresent() && copy.getAsLong() < owner.epoch()) {
            throw ApiException.unavailable(account.name() + " is being taken over by this node (epoch " + owner.epoch()
                    + "), try again in a moment");
        }
        return new Owned(account.id(), account.name(), owner.epoch());
    }

    private ApiException misdirected(String account, String owner) {
        return new ApiException(421, account + " is hosted on " + owner + ", not on " + localNode.get())
                .field("owner", owner).header(OWNER_HEADER, owner);
    }

    private static ApiException blobFailure(String what, BlobException e) {
        if (e.temporary()) {
            LOG.warn("Mailbox API: {} failed, blob store temporarily unavailable ({})", what, e.getMessage());
            return ApiException.unavailable("message store unavailable, try again later");
        }
        LOG.error("Mailbox API: {} failed: {}", what, e.getMessage());
        return new ApiException(500, what + " failed: " + e.getMessage(), e);
    }

    private static <T> List<T> readOrEmpty(Supplier<List<T>> read) {
        try {
            return read.get();
        } catch (MailboxNotFoundException e) {
            return List.of(); // owned here but no mail yet: the mailbox is created by the first write
        }
    }

    // ---- request parsing ----

    private static void allow(String method, String... allowed) {
        if (!List.of(allowed).contains(method)) {
            throw new ApiException(405, "method " + method + " not allowed here").header("Allow", String.join(", ", allowed));
        }
    }

    private static long id(String what, String value) {
        long id;
        try {
            id = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest(what + " '" + value + "' is not a number");
        }
        if (id <= 0) {
            throw ApiException.badRequest(what + " '" + value + "' is not a valid id (must be > 0)");
        }
        return id;
    }

    private static int intParam(Map<String, String> query, String name, int dflt, int min, int max) {
        String v = query.get(name);
        if (v == null) {
            return dflt;
        }
        int n;
        try {
            n = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest(name + " '" + v + "' is not a number");
        }
        if (n < min || n > max) {
            throw ApiException.badRequest(name + " " + n + " is not between " + min + " and " + max);
        }
        return n;
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            if (out.putIfAbsent(key, value) != null) {
                throw ApiException.badRequest("query parameter '" + key + "' is given twice");
            }
        }
        return out;
    }

    /** A path segment, percent-decoded ('+' is a plus sign in a path). */
    private static String decode(String segment) {
        try {
            return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("path segment '" + segment + "' is not valid percent-encoding");
        }
    }

    private static String jsonBody(Exchange ex) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        readBody(ex, MAX_JSON_BYTES, "the JSON body limit", out);
        return new String(out.toByteArray(), StandardCharsets.UTF_8);
    }

    private static long readBody(Exchange ex, long max, String limitName, Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            return readBody(ex, max, limitName, out);
        }
    }

    /** Copies the request body, refusing (413) one larger than {@code max} bytes. */
    private static long readBody(Exchange ex, long max, String limitName, OutputStream out) throws IOException {
        String declared = ex.requestHeader("Content-Length");
        if (declared != null) {
            try {
                if (Long.parseLong(declared.trim()) > max) {
                    throw tooLarge(declared.trim(), max, limitName);
                }
            } catch (NumberFormatException e) {
                throw ApiException.badRequest("Content-Length '" + declared + "' is not a number");
            }
        }
        long total = 0;
        byte[] buffer = new byte[16384];
        try (InputStream in = ex.requestBody()) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                total += n;
                if (total > max) {
                    throw tooLarge("more than " + max, max, limitName);
                }
                out.write(buffer, 0, n);
            }
        }
        return total;
    }

    private static ApiException tooLarge(String size, long max, String limitName) {
        return new ApiException(413, "request body of " + size + " bytes is larger than " + limitName + " (" + max + " bytes)")
                .header("Connection", "close");
    }

    // ---- answers ----

    static Map<String, Object> folderJson(Folder f) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", f.id());
        row.put("name", f.name());
        row.put("parentId", f.parentId());
        return row;
    }

    static Map<String, Object> messageJson(Message m) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("itemId", m.itemId());
        row.put("folderId", m.folderId());
        row.put("received", Instant.ofEpochMilli(m.receivedMillis()).toString());
        row.put("subject", m.subject());
        row.put("from", m.from());
        row.put("to", m.to());
        row.put("size", m.size());
        row.put("flags", List.copyOf(m.flags()));
        row.put("tags", List.copyOf(m.tags()));
        return row;
    }

    private Map<String, Object> messageJson(Owned a, Message m) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("account", a.name());
        row.putAll(messageJson(m));
        return row;
    }

    private static void error(Exchange ex, ApiException e) throws IOException {
        if (ex.started()) {
            LOG.warn("Mailbox API {}: failed after the answer started: {}", ex.describe(), e.getMessage());
            return;
        }
        e.headers().forEach(ex::header);
        send(ex, e.status(), e.body());
    }

    private static void send(Exchange ex, int status, Map<String, ?> body) throws IOException {
        byte[] bytes = (Json.write(body) + "\n").getBytes(StandardCharsets.UTF_8);
        ex.header("Content-Type", "application/json; charset=utf-8");
        ex.header("Cache-Control", "no-store");
        try (OutputStream out = ex.respond(status, bytes.length)) {
            out.write(bytes);
        }
    }
}
