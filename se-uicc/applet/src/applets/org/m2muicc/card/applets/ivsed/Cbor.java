package org.m2muicc.card.applets.ivsed;

import javacard.framework.ISOException;
import javacard.framework.Util;

import org.m2muicc.card.applets.common.SedSw;

/**
 * A strict reader of the CBOR the IV-SED is given (integrity/FORMATS.md): definite lengths only,
 * shortest-form heads (RFC 8949 §4.2.1), no floats or simple values but false/true, and every
 * read bounded by the end of the item. Anything else is {@code 6A80}.
 *
 * <p>A cursor over {@code buf[pos..end)}: {@link #head} reads one item head and leaves its major
 * type in {@link #major} and its argument in {@link #arg} (uint32 as 4 big-endian bytes) and, when
 * it fits, in {@link #value}.
 */
final class Cbor {
    static final byte UINT = 0;
    static final byte NINT = 1;
    static final byte BSTR = 2;
    static final byte TSTR = 3;
    static final byte ARRAY = 4;
    static final byte MAP = 5;
    static final byte TAG = 6;
    static final byte SIMPLE = 7;
    static final byte FALSE = 20;
    static final byte TRUE = 21;
    private static final short MAX_DEPTH = 8;

    byte[] buf;
    short pos;
    short end;
    byte major;
    /** The argument when it is below 0x8000; -1 when larger (then only {@link #arg} holds it). */
    short value;
    /** The argument, 4 bytes big-endian (an 8-byte argument is refused, except when skipped). */
    final byte[] arg = new byte[4];

    void start(byte[] b, short off, short endOff) {
        buf = b;
        pos = off;
        end = endOff;
    }

    static void malformed() {
        ISOException.throwIt(SedSw.WRONG_DATA);
    }

    boolean atEnd() {
        return pos == end;
    }

    /** Reads one head; an 8-byte argument is accepted only when {@code allowLong}. */
    private void readHead(boolean allowLong) {
        if (pos >= end) {
            malformed();
        }
        byte ib = buf[pos++];
        major = (byte) ((ib >> 5) & 0x07);
        short ai = (short) (ib & 0x1F);
        Util.arrayFillNonAtomic(arg, (short) 0, (short) 4, (byte) 0);
        if (ai < 24) {
            arg[3] = (byte) ai;
            value = ai;
            return;
        }
        short n = (short) (ai == 24 ? 1 : ai == 25 ? 2 : ai == 26 ? 4 : ai == 27 ? 8 : 0);
        if (n == 0 || (n == 8 && !allowLong) || (short) (end - pos) < n) {
            malformed(); // reserved, indefinite, or truncated
        }
        if (n == 8) {
            // Only skipped items may be this long; shortest form means the high half is not 0.
            if (Util.getShort(buf, pos) == 0 && Util.getShort(buf, (short) (pos + 2)) == 0) {
                malformed();
            }
            pos += 8;
            value = -1;
            return;
        }
        Util.arrayCopyNonAtomic(buf, pos, arg, (short) (4 - n), n);
        pos += n;
        // Shortest form: the argument must not fit a shorter head.
        boolean minimal = n == 1 ? (arg[3] & 0xFF) >= 24
                : n == 2 ? arg[2] != 0
                : (arg[0] != 0 || arg[1] != 0);
        if (!minimal) {
            malformed();
        }
        value = (arg[0] != 0 || arg[1] != 0 || (arg[2] & 0x80) != 0) ? (short) -1 : Util.getShort(arg, (short) 2);
        if (major == SIMPLE) {
            malformed(); // one-byte simple values and floats are not in these formats
        }
    }

    /** Reads a head of {@code type}; 6A80 otherwise. */
    void expect(byte type) {
        readHead(false);
        if (major != type) {
            malformed();
        }
    }

    /** A uint that fits in 15 bits. */
    short smallUint() {
        expect(UINT);
        if (value < 0) {
            malformed();
        }
        return value;
    }

    /** A uint of at most 32 bits, into {@code out[off..off+4)} big-endian. */
    void uint32(byte[] out, short off) {
        expect(UINT);
        Util.arrayCopyNonAtomic(arg, (short) 0, out, off, (short) 4);
    }

    /** A string of {@code type} with a length in min..max; returns its offset (length in {@link #value}). */
    short string(byte type, short min, short max) {
        expect(type);
        if (value < min || value > max || (short) (end - pos) < value) {
            malformed();
        }
        short at = pos;
        pos += value;
        return at;
    }

    /** A container head of {@code type} with min..max entries; the count. */
    short container(byte type, short min, short max) {
        expect(type);
        if (value < min || value > max) {
            malformed();
        }
        return value;
    }

    boolean bool() {
        if (pos >= end) {
            malformed();
        }
        byte b = buf[pos++];
        if (b == (byte) 0xF4) {
            return false;
        }
        if (b == (byte) 0xF5) {
            return true;
        }
        malformed();
        return false;
    }

    /** The map key at the cursor must be the small uint {@code key}. */
    void key(short key) {
        if (smallUint() != key) {
            malformed();
        }
    }

    /** Whether the next item is the small-uint map key {@code key} (without consuming it). */
    boolean nextKeyIs(short key) {
        return pos < end && key < 24 && buf[pos] == (byte) key;
    }

    /** Skips one whole well-formed item (any type but indefinite lengths). */
    void skip() {
        skip((short) 0);
    }

    private void skip(short depth) {
        if (depth > MAX_DEPTH) {
            malformed();
        }
        if (pos < end && (buf[pos] == (byte) 0xF4 || buf[pos] == (byte) 0xF5 || buf[pos] == (byte) 0xF6)) {
            pos++;
            return;
        }
        readHead(true);
        switch (major) {
            case UINT:
            case NINT:
                return;
            case BSTR:
            case TSTR:
                if (value < 0 || (short) (end - pos) < value) {
                    malformed();
                }
                pos += value;
                return;
            case ARRAY:
            case MAP: {
                if (value < 0) {
                    malformed();
                }
                short items = major == MAP ? (short) (value * 2) : value;
                if (items < 0 || items > (short) (end - pos)) {
                    malformed();
                }
                for (short i = 0; i < items; i++) {
                    skip((short) (depth + 1));
                }
                return;
            }
            case TAG:
                skip((short) (depth + 1));
                return;
            default:
                malformed();
        }
    }
}
