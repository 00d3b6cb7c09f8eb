package org.m2muicc.card.crypto;

import javacard.framework.Util;

/**
 * Key check value: the first 3 bytes of AES-ECB(key, 16 zero bytes), with AES-128 for a 16-byte
 * key and AES-256 for a 32-byte one (M2M-SED.md §2). Lets a host check that the card holds the
 * key it expects without the key ever leaving the card.
 */
public final class Kcv {
    public static final short LENGTH = 3;

    private final Aes aes;
    private final byte[] block;

    public Kcv(Aes aes) {
        this.aes = aes;
        block = Aes.scratch(Aes.BLOCK);
    }

    /** Writes the 3-byte KCV of a 16-, 24- or 32-byte AES key; returns 3. */
    public short compute(byte[] key, short keyOff, short keyLen, byte[] out, short outOff) {
        Aes.wipe(block, (short) 0, Aes.BLOCK);
        aes.initEcbEncrypt(key, keyOff, keyLen);
        aes.ecbEncrypt(block, (short) 0, Aes.BLOCK, block, (short) 0);
        Util.arrayCopyNonAtomic(block, (short) 0, out, outOff, LENGTH);
        Aes.wipe(block, (short) 0, Aes.BLOCK);
        return LENGTH;
    }
}
