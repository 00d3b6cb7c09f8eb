package org.m2muicc.card.applets.common;

import javacard.framework.Util;

/**
 * BER-TLV with one-byte tags and definite lengths of up to two bytes: all the M2M-SED's data
 * objects (STORE DATA, GET DATA, MANAGE SECURE CHANNEL '73', TRANSACT DATA '86').
 */
public final class Tlv {
    public static final short MALFORMED = -1;
    public static final short ABSENT = -2;

    private Tlv() {
    }

    /**
     * The offset of the value of the TLV starting at {@code off}, or {@link #MALFORMED} if its
     * header is not a one-byte tag with a definite length, or the value runs past {@code end}.
     */
    public static short valueOffset(byte[] b, short off, short end) {
        if ((short) (off + 2) > end || (b[off] & 0x1F) == 0x1F) {
            return MALFORMED;
        }
        short v = (short) (off + 2);
        short len = (short) (b[(short) (off + 1)] & 0xFF);
        if (len == 0x81) {
            if (v >= end) {
                return MALFORMED;
            }
            len = (short) (b[v] & 0xFF);
            v++;
        } else if (len == 0x82) {
            if ((short) (v + 2) > end) {
                return MALFORMED;
            }
            len = Util.getShort(b, v);
            v += 2;
            if (len < 0) {
                return MALFORMED;
            }
        } else if (len > 0x7F) {
            return MALFORMED;
        }
        if ((short) (end - v) < len) {
            return MALFORMED;
        }
        return v;
    }

    /** The value length of a TLV whose header {@link #valueOffset} accepted. */
    public static short valueLength(byte[] b, short off) {
        short len = (short) (b[(short) (off + 1)] & 0xFF);
        if (len == 0x81) {
            return (short) (b[(short) (off + 2)] & 0xFF);
        }
        if (len == 0x82) {
            return Util.getShort(b, (short) (off + 2));
        }
        return len;
    }

    /** The offset just after the TLV at {@code off} (well-formed). */
    public static short next(byte[] b, short off, short end) {
        short v = valueOffset(b, off, end);
        return v < 0 ? MALFORMED : (short) (v + valueLength(b, off));
    }

    /** Whether {@code b[off..end)} is a sequence of well-formed TLVs. */
    public static boolean wellFormed(byte[] b, short off, short end) {
        while (off < end) {
            off = next(b, off, end);
            if (off < 0) {
                return false;
            }
        }
        return true;
    }

    /** The offset of the first TLV with {@code tag} in a well-formed sequence, or {@link #ABSENT}. */
    public static short find(byte[] b, short off, short end, byte tag) {
        while (off < end) {
            if (b[off] == tag) {
                return off;
            }
            off = next(b, off, end);
            if (off < 0) {
                return MALFORMED;
            }
        }
        return ABSENT;
    }

    /** The size of a TLV header (one-byte tag) for a value of {@code len} bytes. */
    public static short headerSize(short len) {
        return (short) (len < 0x80 ? 2 : len <= 0xFF ? 3 : 4);
    }

    /** Writes a tag and length; returns the offset of the value. */
    public static short writeHeader(byte[] b, short off, byte tag, short len) {
        b[off++] = tag;
        if (len >= 0x100) {
            b[off++] = (byte) 0x82;
            return Util.setShort(b, off, len);
        }
        if (len >= 0x80) {
            b[off++] = (byte) 0x81;
        }
        b[off++] = (byte) len;
        return off;
    }

    /** Writes a whole TLV; returns the offset after it. */
    public static short write(byte[] b, short off, byte tag, byte[] value, short valueOff, short len) {
        off = writeHeader(b, off, tag, len);
        return Util.arrayCopyNonAtomic(value, valueOff, b, off, len);
    }
}
