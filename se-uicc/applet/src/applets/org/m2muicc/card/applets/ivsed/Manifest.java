package org.m2muicc.card.applets.ivsed;

import javacard.framework.JCSystem;

/**
 * The reference manifest payload (integrity/FORMATS.md §2) within the card's limits: at most
 * {@link #MAX_OBJECTS} objects, names of 1..64 bytes. {@link #parse} checks the exact shape
 * (keys 1, 2 in order; each object's keys 1..4 in order) and leaves an index of the objects
 * (offsets into the parsed array) in transient memory.
 */
final class Manifest {
    static final short MAX_OBJECTS = 16;
    static final short MAX_PAYLOAD = 2048;
    static final short MAX_NAME = 64;
    static final short DIGEST = 32;
    private static final short MAX_ACTION = 3;

    final byte[] version;       // 4, big-endian
    final short[] nameOff;
    final short[] nameLen;
    final short[] digestOff;
    private final short[] count;

    Manifest() {
        version = JCSystem.makeTransientByteArray((short) 4, JCSystem.CLEAR_ON_RESET);
        nameOff = JCSystem.makeTransientShortArray(MAX_OBJECTS, JCSystem.CLEAR_ON_RESET);
        nameLen = JCSystem.makeTransientShortArray(MAX_OBJECTS, JCSystem.CLEAR_ON_RESET);
        digestOff = JCSystem.makeTransientShortArray(MAX_OBJECTS, JCSystem.CLEAR_ON_RESET);
        count = JCSystem.makeTransientShortArray((short) 1, JCSystem.CLEAR_ON_RESET);
    }

    short count() {
        return count[0];
    }

    /** Parses the payload {@code b[off..off+len)}; 6A80 unless it is exactly a manifest. */
    void parse(Cbor r, byte[] b, short off, short len) {
        count[0] = 0;
        if (len > MAX_PAYLOAD) {
            Cbor.malformed();
        }
        r.start(b, off, (short) (off + len));
        r.container(Cbor.MAP, (short) 2, (short) 2);
        r.key((short) 1);
        r.uint32(version, (short) 0);
        if (version[0] == 0 && version[1] == 0 && version[2] == 0 && version[3] == 0) {
            Cbor.malformed(); // versions start at 1
        }
        r.key((short) 2);
        short n = r.container(Cbor.ARRAY, (short) 1, MAX_OBJECTS);
        for (short i = 0; i < n; i++) {
            r.container(Cbor.MAP, (short) 4, (short) 4);
            r.key((short) 1);
            nameOff[i] = r.string(Cbor.TSTR, (short) 1, MAX_NAME);
            nameLen[i] = r.value;
            r.key((short) 2);
            digestOff[i] = r.string(Cbor.BSTR, DIGEST, DIGEST);
            r.key((short) 3);
            r.bool();
            r.key((short) 4);
            if (r.smallUint() > MAX_ACTION) {
                Cbor.malformed();
            }
        }
        if (!r.atEnd()) {
            Cbor.malformed();
        }
        count[0] = n;
    }
}
