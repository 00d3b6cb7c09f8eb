package org.m2muicc.card.crypto;

import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.AESKey;
import javacard.security.CryptoException;
import javacard.security.KeyBuilder;
import javacardx.crypto.Cipher;

/**
 * AES with caller-supplied key bytes: the one place that maps raw keys (16, 24 or 32 bytes,
 * kept by the applets in their own arrays) onto Java Card key objects.
 *
 * <p>Why raw bytes in and out: the applets keep long-term keys in persistent arrays written
 * inside transactions (so that the platform's rollback covers them) and session keys in
 * CLEAR_ON_RESET arrays. The key objects here are transient scratch, loaded before every
 * operation: jCardSim backs transient key objects with CLEAR_ON_DESELECT memory, so a key
 * object must never be the only copy of a key that outlives a selection.
 *
 * <p>Only ECB and CBC without padding are used: both work in jCardSim 3.0.6.0 with every key
 * size; padding is the caller's business (ISO 9797-1 method 2, see {@link Iso9797M2}).
 */
public final class Aes {
    public static final short BLOCK = 16;

    private final AESKey key128;
    private final AESKey key192;
    private final AESKey key256;
    private final Cipher ecb;
    private final Cipher cbc;

    public Aes() {
        key128 = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES_TRANSIENT_RESET, KeyBuilder.LENGTH_AES_128, false);
        key192 = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES_TRANSIENT_RESET, KeyBuilder.LENGTH_AES_192, false);
        key256 = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES_TRANSIENT_RESET, KeyBuilder.LENGTH_AES_256, false);
        ecb = Cipher.getInstance(Cipher.ALG_AES_BLOCK_128_ECB_NOPAD, false);
        cbc = Cipher.getInstance(Cipher.ALG_AES_BLOCK_128_CBC_NOPAD, false);
    }

    /** Loads {@code len} key bytes into the key object of that size. */
    private AESKey load(byte[] key, short off, short len) {
        AESKey k;
        if (len == (short) 16) {
            k = key128;
        } else if (len == (short) 24) {
            k = key192;
        } else if (len == (short) 32) {
            k = key256;
        } else {
            CryptoException.throwIt(CryptoException.ILLEGAL_VALUE);
            return null;
        }
        k.setKey(key, off);
        return k;
    }

    /** Prepares {@link #ecbEncrypt} with this key. */
    public void initEcbEncrypt(byte[] key, short off, short len) {
        ecb.init(load(key, off, len), Cipher.MODE_ENCRYPT);
    }

    /** AES-ECB encryption of {@code len} (a multiple of 16) bytes with the key of the last init. */
    public void ecbEncrypt(byte[] in, short inOff, short len, byte[] out, short outOff) {
        ecb.doFinal(in, inOff, len, out, outOff);
    }

    /**
     * AES-CBC of {@code len} (a multiple of 16) bytes, encryption or decryption
     * ({@code Cipher.MODE_ENCRYPT}/{@code MODE_DECRYPT}). In place is allowed.
     */
    public void cbc(byte mode, byte[] key, short keyOff, short keyLen, byte[] iv, short ivOff,
                    byte[] in, short inOff, short len, byte[] out, short outOff) {
        cbc.init(load(key, keyOff, keyLen), mode, iv, ivOff, BLOCK);
        cbc.doFinal(in, inOff, len, out, outOff);
    }

    /** Wipes the scratch key objects (called once a command no longer needs them). */
    public void clearKeys() {
        key128.clearKey();
        key192.clearKey();
        key256.clearKey();
    }

    /** Constant-time comparison of two byte ranges of the same length (MACs, codes). */
    public static boolean equalsConstantTime(byte[] a, short aOff, byte[] b, short bOff, short len) {
        byte diff = 0;
        for (short i = 0; i < len; i++) {
            diff |= (byte) (a[(short) (aOff + i)] ^ b[(short) (bOff + i)]);
        }
        return diff == 0;
    }

    /** A transient scratch array owned by the caller's applet (cleared on reset). */
    static byte[] scratch(short len) {
        return JCSystem.makeTransientByteArray(len, JCSystem.CLEAR_ON_RESET);
    }

    /** Zeroes a range (non-atomic: for transient scratch). */
    static void wipe(byte[] a, short off, short len) {
        Util.arrayFillNonAtomic(a, off, len, (byte) 0);
    }
}
