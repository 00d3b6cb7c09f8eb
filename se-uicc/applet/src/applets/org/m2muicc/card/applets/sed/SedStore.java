package org.m2muicc.card.applets.sed;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

import javacard.framework.Util;

import org.m2muicc.card.applets.channel.ChannelKey;
import org.m2muicc.card.applets.common.Lifecycle;

/**
 * The active (committed) data of the M2M-SED: the lifecycle byte, the identifiers and the key
 * slots Kmr, Kmc, Kbs, Kmsa, Kiv, all in persistent memory.
 *
 * <p>Writers must hold a JCSystem transaction (COMMIT, LOCK, ACTIVATE KEY open one): the
 * platform rolls a transaction back from the {@code PersistentState} snapshot, so a tear can
 * never leave a key half written or a key without its index. A field's length byte is 0 while
 * the field is not set.
 */
final class SedStore extends Lifecycle implements ChannelKey {

    private final byte[] value = new byte[FieldTable.SIZE];
    private final byte[] length = new byte[FieldTable.COUNT];

    boolean isSet(byte field) {
        return length[field] != 0;
    }

    short length(byte field) {
        return (short) (length[field] & 0xFF);
    }

    /** The array holding every field; read-only for callers (crypto reads keys in place). */
    byte[] data() {
        return value;
    }

    static short offset(byte field) {
        return FieldTable.OFFSET[field];
    }

    /** Sets a field. Inside a transaction only. */
    void set(byte field, byte[] src, short off, short len) {
        Util.arrayCopy(src, off, value, FieldTable.OFFSET[field], len);
        length[field] = (byte) len;
    }

    // --- ChannelKey: the M2M-SED's Kmsa ---------------------------------------------------

    public boolean hasKmsa() {
        return isSet(FieldTable.KMSA);
    }

    public byte[] kmsaArray() {
        return value;
    }

    public short kmsaOffset() {
        return FieldTable.OFFSET[FieldTable.KMSA];
    }

    public short kmsaLength() {
        return length(FieldTable.KMSA);
    }

    // --- PersistentState part -------------------------------------------------------------

    void write(DataOutput out) throws IOException {
        out.writeByte(lifecycle());
        out.write(length);
        out.write(value);
    }

    void read(DataInput in) throws IOException {
        setLifecycle(in.readByte());
        in.readFully(length);
        in.readFully(value);
    }
}
