package io.tandem.replication.internal;

import io.tandem.api.blob.BlobRef;
import io.tandem.api.mailbox.Folder;
import io.tandem.api.mailbox.MailboxChange;
import io.tandem.api.mailbox.MailboxOp;
import io.tandem.api.mailbox.Message;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The binary encoding of replication {@link Event}s (docs/decisions/0009-replication-protocol.md).
 *
 * <pre>
 * event  = 'T' 'R' major:u8 type:u8 length:u32 body[length]
 * op     = tag:u8 length:u32 body[length]
 * string = length:u32 utf-8[length]     set = count:u32 string*     uuid = msb:i64 lsb:i64
 * </pre>
 *
 * Evolution rules: a compatible change only <em>appends</em> fields at the end of an event or operation
 * body; readers skip what follows the fields they know (the lengths say where the body ends), and read an
 * appended field as absent when the body ends before it. Appended so far: the change's stamp at the end of
 * a change, the stamp of the snapshot's change at the end of a snapshot's beginning (decision 0021). Anything
 * else (a new event type, a new operation, a changed field) raises {@link #MAJOR}: an older reader then
 * refuses the event with an {@link UnreadableEventException} naming what it met, and the applier stops the
 * account's replica visibly. Golden vectors under {@code src/test/resources/golden} pin the bytes.
 */
public final class EventCodec {

    public static final int MAJOR = 1;
    static final byte TYPE_CHANGE = 1;
    static final byte TYPE_SNAPSHOT_BEGIN = 2;
    static final byte TYPE_SNAPSHOT_CHUNK = 3;
    static final byte TYPE_PROMOTION = 4;

    private static final byte OP_CREATE_FOLDER = 1;
    private static final byte OP_RENAME_FOLDER = 2;
    private static final byte OP_DELETE_FOLDER = 3;
    private static final byte OP_ADD_MESSAGE = 4;
    private static final byte OP_SET_FLAGS = 5;
    private static final byte OP_SET_TAGS = 6;
    private static final byte OP_MOVE_MESSAGE = 7;
    private static final byte OP_DELETE_MESSAGE = 8;

    private EventCodec() {
    }

    // ------------------------------------------------------------------ encoding

    public static byte[] encode(Event event) {
        Out body = new Out();
        byte type;
        if (event instanceof Event.Change c) {
            type = TYPE_CHANGE;
            MailboxChange m = c.change();
            body.uuid(m.accountId()).i64(m.epoch()).i64(m.sequence()).i64(m.itemId()).i64(m.committedMillis());
            body.i32(m.ops().size());
            for (MailboxOp op : m.ops()) {
                op(body, op);
            }
            body.i64(m.stamp());
        } else if (event instanceof Event.SnapshotBegin b) {
            type = TYPE_SNAPSHOT_BEGIN;
            body.uuid(b.accountId()).str(b.destination()).uuid(b.snapshotId()).i64(b.epoch()).i64(b.sequence())
                    .i64(b.itemId()).i32(b.chunks()).i32(b.folders().size());
            for (Folder f : b.folders()) {
                body.i64(f.id()).str(f.name()).optLong(f.parentId());
            }
            body.i64(b.stamp());
        } else if (event instanceof Event.SnapshotChunk ch) {
            type = TYPE_SNAPSHOT_CHUNK;
            body.uuid(ch.accountId()).uuid(ch.snapshotId()).i32(ch.index()).i32(ch.messages().size());
            for (Message m : ch.messages()) {
                Out one = new Out();
                message(one, m);
                body.block(one);
            }
        } else if (event instanceof Event.Promotion p) {
            type = TYPE_PROMOTION;
            body.uuid(p.accountId()).i64(p.epoch()).str(p.newOwner()).str(p.previousOwner())
                    .optUuid(p.operationId()).i64(p.createdMillis());
            if (p.giveBack()) {
                // appended, and only to a give-back: ordinary markers keep their bytes, and a node of an older
                // version skips it and reads a promotion of a copy that is not in sync, which it refuses
                body.i64(p.returnEpoch());
            }
        } else {
            throw new IllegalArgumentException("unknown event " + event);
        }
        Out out = new Out();
        out.u8('T').u8('R').u8(MAJOR).u8(type).block(body);
        return out.bytes();
    }

    /** The encoded size of one snapshot message (to cut snapshots into chunks under the record size limit). */
    static int size(Message m) {
        Out one = new Out();
        message(one, m);
        return one.bytes().length + 4;
    }

    private static void op(Out out, MailboxOp op) {
        Out b = new Out();
        byte tag;
        if (op instanceof MailboxOp.CreateFolder f) {
            tag = OP_CREATE_FOLDER;
            b.i64(f.folderId()).str(f.name()).optLong(f.parentId());
        } else if (op instanceof MailboxOp.RenameFolder f) {
            tag = OP_RENAME_FOLDER;
            b.i64(f.folderId()).str(f.name());
        } else if (op instanceof MailboxOp.DeleteFolder f) {
            tag = OP_DELETE_FOLDER;
            b.i64(f.folderId());
        } else if (op instanceof MailboxOp.AddMessage m) {
            tag = OP_ADD_MESSAGE;
            message(b, m.message());
        } else if (op instanceof MailboxOp.SetFlags s) {
            tag = OP_SET_FLAGS;
            b.i64(s.itemId()).set(s.flags());
        } else if (op instanceof MailboxOp.SetTags s) {
            tag = OP_SET_TAGS;
            b.i64(s.itemId()).set(s.tags());
        } else if (op instanceof MailboxOp.MoveMessage m) {
            tag = OP_MOVE_MESSAGE;
            b.i64(m.itemId()).i64(m.folderId());
        } else if (op instanceof MailboxOp.DeleteMessage m) {
            tag = OP_DELETE_MESSAGE;
            b.i64(m.itemId());
        } else {
            throw new IllegalArgumentException("unknown operation " + op);
        }
        out.u8(tag).block(b);
    }

    private static void message(Out b, Message m) {
        BlobRef blob = m.blob();
        b.i64(m.itemId()).i64(m.folderId()).uuid(blob.volumeId()).str(blob.key()).str(blob.sha256()).i64(blob.size())
                .i64(m.size()).i64(m.receivedMillis()).str(m.subject()).str(m.from()).str(m.to()).set(m.flags()).set(m.tags());
    }

    // ------------------------------------------------------------------ decoding

    /**
     * Whether the bytes carry a {@link Event.SnapshotBegin} header, read without decoding anything else: the
     * only event of an account without a replica here that may concern this node (it may start one).
     */
    static boolean isSnapshotBegin(byte[] bytes) {
        return bytes.length >= 4 && bytes[0] == 'T' && bytes[1] == 'R' && bytes[2] == MAJOR && bytes[3] == TYPE_SNAPSHOT_BEGIN;
    }

    /**
     * @throws UnreadableEventException the bytes are not an event this version understands; the message
     *                                  says what was met (version, type, operation, or where it is cut)
     */
    public static Event decode(byte[] bytes) {
        try {
            In in = new In(ByteBuffer.wrap(bytes));
            if (bytes.length < 8 || in.u8() != 'T' || in.u8() != 'R') {
                throw new UnreadableEventException("not a Tandem replication event (" + bytes.length + " bytes, bad header)");
            }
            int major = in.u8();
            int type = in.u8();
            if (major != MAJOR) {
                throw new UnreadableEventException("event encoding version " + major + " is not the version this node reads ("
                        + MAJOR + "): upgrade this node to apply it");
            }
            In body = in.block();
            return switch (type) {
                case TYPE_CHANGE -> change(body);
                case TYPE_SNAPSHOT_BEGIN -> snapshotBegin(body);
                case TYPE_SNAPSHOT_CHUNK -> snapshotChunk(body);
                case TYPE_PROMOTION -> new Event.Promotion(body.uuid(), body.i64(), body.str(), body.str(), body.optUuid(), body.i64(),
                        body.optTrailingLong());
                default -> throw new UnreadableEventException("event type " + type + " is unknown to this node (encoding "
                        + MAJOR + "): upgrade this node to apply it");
            };
        } catch (BufferUnderflowException e) {
            throw new UnreadableEventException("event is truncated (" + bytes.length + " bytes)", e);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new UnreadableEventException("event holds an invalid value: " + e.getMessage(), e);
        }
    }

    private static Event change(In b) {
        UUID account = b.uuid();
        long epoch = b.i64();
        long sequence = b.i64();
        long itemId = b.i64();
        long committed = b.i64();
        int n = b.count();
        List<MailboxOp> ops = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int tag = b.u8();
            In o = b.block();
            ops.add(switch (tag) {
                case OP_CREATE_FOLDER -> new MailboxOp.CreateFolder(o.i64(), o.str(), o.optLong());
                case OP_RENAME_FOLDER -> new MailboxOp.RenameFolder(o.i64(), o.str());
                case OP_DELETE_FOLDER -> new MailboxOp.DeleteFolder(o.i64());
                case OP_ADD_MESSAGE -> {
                    Message m = message(o);
                    yield new MailboxOp.AddMessage(m.itemId(), m.folderId(), m.blob(), m.size(), m.receivedMillis(),
                            m.subject(), m.from(), m.to(), m.flags(), m.tags());
                }
                case OP_SET_FLAGS -> new MailboxOp.SetFlags(o.i64(), o.set());
                case OP_SET_TAGS -> new MailboxOp.SetTags(o.i64(), o.set());
                case OP_MOVE_MESSAGE -> new MailboxOp.MoveMessage(o.i64(), o.i64());
                case OP_DELETE_MESSAGE -> new MailboxOp.DeleteMessage(o.i64());
                default -> throw new UnreadableEventException("change " + sequence + " of " + account + " holds operation type "
                        + tag + ", unknown to this node (encoding " + MAJOR + "): upgrade this node to apply it");
            });
        }
        return new Event.Change(new MailboxChange(account, epoch, sequence, itemId, ops, committed, b.optTrailingLong()));
    }

    private static Event snapshotBegin(In b) {
        UUID account = b.uuid();
        String destination = b.str();
        UUID id = b.uuid();
        long epoch = b.i64();
        long sequence = b.i64();
        long itemId = b.i64();
        int chunks = b.i32();
        int n = b.count();
        List<Folder> folders = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            folders.add(new Folder(b.i64(), b.str(), b.optLong()));
        }
        return new Event.SnapshotBegin(account, destination, id, epoch, sequence, itemId, chunks, folders, b.optTrailingLong());
    }

    private static Event snapshotChunk(In b) {
        UUID account = b.uuid();
        UUID id = b.uuid();
        int index = b.i32();
        int n = b.count();
        List<Message> messages = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            messages.add(message(b.block()));
        }
        return new Event.SnapshotChunk(account, id, index, messages);
    }

    private static Message message(In o) {
        long itemId = o.i64();
        long folderId = o.i64();
        BlobRef blob = new BlobRef(o.uuid(), o.str(), o.str(), o.i64());
        return new Message(itemId, folderId, blob, o.i64(), o.i64(), o.str(), o.str(), o.str(), o.set(), o.set());
    }

    // ------------------------------------------------------------------ primitives

    private static final class Out {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        private final DataOutputStream out = new DataOutputStream(bytes);

        Out u8(int v) {
            return io(() -> out.writeByte(v));
        }

        Out i32(int v) {
            return io(() -> out.writeInt(v));
        }

        Out i64(long v) {
            return io(() -> out.writeLong(v));
        }

        Out uuid(UUID v) {
            return i64(v.getMostSignificantBits()).i64(v.getLeastSignificantBits());
        }

        Out optUuid(UUID v) {
            return v == null ? u8(0) : u8(1).uuid(v);
        }

        Out optLong(Long v) {
            return v == null ? u8(0) : u8(1).i64(v);
        }

        Out str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return i32(b.length).io(() -> out.write(b));
        }

        Out set(Set<String> values) {
            i32(values.size());
            for (String v : new TreeSet<>(values)) { // sorted: equal sets encode to equal bytes
                str(v);
            }
            return this;
        }

        Out block(Out body) {
            byte[] b = body.bytes();
            return i32(b.length).io(() -> out.write(b));
        }

        byte[] bytes() {
            return bytes.toByteArray();
        }

        private interface Io {
            void run() throws IOException;
        }

        private Out io(Io io) {
            try {
                io.run();
            } catch (IOException e) { // a ByteArrayOutputStream does not fail
                throw new UncheckedIOException(e);
            }
            return this;
        }
    }

    private static final class In {
        private final ByteBuffer buf;

        In(ByteBuffer buf) {
            this.buf = buf;
        }

        int u8() {
            return buf.get() & 0xff;
        }

        int i32() {
            return buf.getInt();
        }

        long i64() {
            return buf.getLong();
        }

        /** A count of following items, which must each take at least one byte. */
        int count() {
            int n = buf.getInt();
            if (n < 0 || n > buf.remaining()) {
                throw new UnreadableEventException("event holds an impossible count " + n);
            }
            return n;
        }

        UUID uuid() {
            return new UUID(buf.getLong(), buf.getLong());
        }

        UUID optUuid() {
            return u8() == 0 ? null : uuid();
        }

        Long optLong() {
            return u8() == 0 ? null : i64();
        }

        /** A field appended to a body after the first version: 0 when the body ends before it (an older writer). */
        long optTrailingLong() {
            return buf.remaining() >= Long.BYTES ? buf.getLong() : 0;
        }

        String str() {
            int n = buf.getInt();
            if (n < 0 || n > buf.remaining()) {
                throw new UnreadableEventException("event holds an impossible string length " + n);
            }
            ByteBuffer slice = buf.slice();
            slice.limit(n);
            buf.position(buf.position() + n);
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(slice).toString();
            } catch (CharacterCodingException e) {
                throw new UnreadableEventException("event holds a string that is not UTF-8", e);
            }
        }

        Set<String> set() {
            int n = count();
            Set<String> out = new LinkedHashSet<>();
            for (int i = 0; i < n; i++) {
                out.add(str());
            }
            return out;
        }

        /** The next length-prefixed block; whatever of it the reader does not read is skipped. */
        In block() {
            int n = buf.getInt();
            if (n < 0 || n > buf.remaining()) {
                throw new UnreadableEventException("event holds an impossible block length " + n);
            }
            ByteBuffer slice = buf.slice();
            slice.limit(n);
            buf.position(buf.position() + n);
            return new In(slice);
        }
    }
}
