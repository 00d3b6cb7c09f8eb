package org.m2muicc.card.crypto;

import javacard.framework.Util;

/**
 * ISO/IEC 9797-1 padding method 2 for 16-byte blocks: one 80 byte, then zeros up to the next
 * block boundary (always at least one byte, so a whole extra block when the data is aligned).
 * Done by hand because jCardSim has no AES cipher with this padding in ECB and the CBC one
 * would hide padding errors, which the secure channel must report (M2M-SED.md §7).
 */
public final class Iso9797M2 {
    private Iso9797M2() {
    }

    /** The padded length of {@code len} bytes. */
    public static short paddedLength(short len) {
        return (short) ((short) (len / Aes.BLOCK + 1) * Aes.BLOCK);
    }

    /** Pads {@code buf[off..off+len)} in place; returns the padded length. */
    public static short pad(byte[] buf, short off, short len) {
        short padded = paddedLength(len);
        buf[(short) (off + len)] = (byte) 0x80;
        short zeros = (short) (padded - len - 1);
        if (zeros > 0) { // jCardSim refuses an empty fill at the very end of an array
            Util.arrayFillNonAtomic(buf, (short) (off + len + 1), zeros, (byte) 0);
        }
        return padded;
    }

    /**
     * The length of the data before the padding of {@code buf[off..off+len)}, or -1 when the
     * padding is wrong (no 80 within the last block, or a non-zero byte after it).
     */
    public static short unpaddedLength(byte[] buf, short off, short len) {
        if (len <= 0 || (short) (len % Aes.BLOCK) != 0) {
            return -1;
        }
        short stop = (short) (len - Aes.BLOCK);
        for (short i = (short) (len - 1); i >= stop; i--) {
            byte b = buf[(short) (off + i)];
            if (b == (byte) 0x80) {
                return i;
            }
            if (b != 0) {
                return -1;
            }
        }
        return -1;
    }
}
