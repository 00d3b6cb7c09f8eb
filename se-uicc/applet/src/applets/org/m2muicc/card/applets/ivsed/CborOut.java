package org.m2muicc.card.applets.ivsed;

import javacard.framework.Util;

/** Writes deterministic CBOR heads and strings (RFC 8949 §4.2.1: shortest heads) into a buffer. */
final class CborOut {
    private CborOut() {
    }

    /** A head of {@code major} with a 0..65535 argument held in a short; returns the offset after it. */
    static short head(byte[] b, short off, byte major, short arg) {
        byte m = (byte) (major << 5);
        if (arg >= 0 && arg < 24) {
            b[off++] = (byte) (m | arg);
        } else if (arg >= 0 && arg < 0x100) {
            b[off++] = (byte) (m | 24);
            b[off++] = (byte) arg;
        } else {
            b[off++] = (byte) (m | 25);
            off = Util.setShort(b, off, arg);
        }
        return off;
    }

    /** The size of {@link #head} for {@code arg}. */
    static short headSize(short arg) {
        return (short) (arg >= 0 && arg < 24 ? 1 : arg >= 0 && arg < 0x100 ? 2 : 3);
    }

    /** A uint given as 4 big-endian bytes, in its shortest head. */
    static short uint32(byte[] b, short off, byte[] v, short vOff) {
        if (v[vOff] != 0 || v[(short) (vOff + 1)] != 0) {
            b[off++] = 26;
            return Util.arrayCopyNonAtomic(v, vOff, b, off, (short) 4);
        }
        return head(b, off, Cbor.UINT, Util.getShort(v, (short) (vOff + 2)));
    }

    /** A uint given as 8 big-endian bytes, in its shortest head. */
    static short uint64(byte[] b, short off, byte[] v, short vOff) {
        if (Util.getShort(v, vOff) != 0 || Util.getShort(v, (short) (vOff + 2)) != 0) {
            b[off++] = 27;
            return Util.arrayCopyNonAtomic(v, vOff, b, off, (short) 8);
        }
        return uint32(b, off, v, (short) (vOff + 4));
    }

    /** A byte or text string. */
    static short string(byte[] b, short off, byte major, byte[] src, short srcOff, short len) {
        off = head(b, off, major, len);
        return Util.arrayCopyNonAtomic(src, srcOff, b, off, len);
    }
}
