package org.m2muicc.card.applets.ivsed;

/**
 * Checks the {@code submods} map a gateway loads for SIGN REPORT P1 01 (IV-SED.md §4.3): one
 * well-formed definite-length CBOR map filling the loaded bytes exactly, 1..8 entries, each name a
 * text string of 1..64 bytes in strictly increasing deterministic order (RFC 8949 §4.2.1), each
 * value a map. The card copies it verbatim as claim 266; what the claims inside say is the NSCL's to
 * check (integrity/FORMATS.md §3), the card vouches only that the gateway's terminal gave them.
 * Anything else is {@code 6A80}.
 */
final class Submods {
    static final short MAX_ENTRIES = 8;
    static final short MAX_NAME = 64;

    private Submods() {
    }

    /** Checks {@code buf[off..off+len)}; returns normally or throws 6A80. */
    static void check(Cbor r, byte[] buf, short off, short len) {
        r.start(buf, off, (short) (off + len));
        short entries = r.container(Cbor.MAP, (short) 1, MAX_ENTRIES);
        short prevAt = -1;
        short prevLen = 0;
        for (short i = 0; i < entries; i++) {
            short at = r.string(Cbor.TSTR, (short) 1, MAX_NAME);
            short nameLen = r.value;
            if (prevAt >= 0 && !before(buf, prevAt, prevLen, at, nameLen)) {
                Cbor.malformed();
            }
            prevAt = at;
            prevLen = nameLen;
            if (r.pos >= r.end || (byte) ((buf[r.pos] >> 5) & 0x07) != Cbor.MAP) {
                Cbor.malformed();
            }
            r.skip();
        }
        if (!r.atEnd()) {
            Cbor.malformed();
        }
    }

    /**
     * Whether the text key {@code a} sorts strictly before {@code b} by their encodings: for 1..64
     * bytes the head orders by length, then the bytes decide, unsigned.
     */
    private static boolean before(byte[] buf, short a, short aLen, short b, short bLen) {
        if (aLen != bLen) {
            return aLen < bLen;
        }
        for (short i = 0; i < aLen; i++) {
            short x = (short) (buf[(short) (a + i)] & 0xFF);
            short y = (short) (buf[(short) (b + i)] & 0xFF);
            if (x != y) {
                return x < y;
            }
        }
        return false;
    }
}
