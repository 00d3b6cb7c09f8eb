package org.m2muicc.card.crypto;

import javacard.framework.JCSystem;
import javacard.framework.Util;

/**
 * AES-CMAC (RFC 4493, NIST SP 800-38B), streaming: {@code init}, any number of
 * {@code update}, {@code doFinal}.
 *
 * <p>Why not {@code Signature.ALG_AES_CMAC_128}: jCardSim's verify compares 16 bytes whatever
 * length is asked, many real Java Card 3.0.4 cards lack the algorithm, and the secure channel
 * MACs inputs made of several pieces (chaining value, header, counter, ciphertext) that live in
 * different arrays. Built on AES-ECB only, which every platform has.
 */
public final class AesCmac {
    public static final short MAC_LENGTH = 16;

    private static final short X = 0;        // running CBC-MAC state
    private static final short K1 = 16;      // subkey for a complete last block
    private static final short K2 = 32;      // subkey for a padded last block
    private static final short PENDING = 48; // the block not yet processed (it may be the last)
    private static final short STATE_SIZE = 64;

    private final Aes aes;
    private final byte[] state;
    private final short[] pendingLength;

    public AesCmac(Aes aes) {
        this.aes = aes;
        state = Aes.scratch(STATE_SIZE);
        pendingLength = JCSystem.makeTransientShortArray((short) 1, JCSystem.CLEAR_ON_RESET);
    }

    /** Starts a MAC under an AES key of 16, 24 or 32 bytes. */
    public void init(byte[] key, short off, short len) {
        aes.initEcbEncrypt(key, off, len);
        Aes.wipe(state, (short) 0, STATE_SIZE);
        aes.ecbEncrypt(state, X, Aes.BLOCK, state, K1); // L = AES(K, 0^128)
        doubleBlock(state, K1);                          // K1 = dbl(L)
        Util.arrayCopyNonAtomic(state, K1, state, K2, Aes.BLOCK);
        doubleBlock(state, K2);                          // K2 = dbl(K1)
        pendingLength[0] = 0;
    }

    /** Feeds message bytes. */
    public void update(byte[] in, short off, short len) {
        while (len > 0) {
            short pending = pendingLength[0];
            if (pending == Aes.BLOCK) {
                // More data follows, so the pending block is not the last one: absorb it.
                absorb();
                pending = 0;
            }
            short n = (short) (Aes.BLOCK - pending);
            if (n > len) {
                n = len;
            }
            Util.arrayCopyNonAtomic(in, off, state, (short) (PENDING + pending), n);
            pendingLength[0] = (short) (pending + n);
            off += n;
            len -= n;
        }
    }

    /** Feeds one byte (headers such as P1, P2). */
    public void update(byte b) {
        if (pendingLength[0] == Aes.BLOCK) {
            absorb();
        }
        state[(short) (PENDING + pendingLength[0])] = b;
        pendingLength[0]++;
    }

    /** Finishes the MAC: 16 bytes to {@code out}; the state is wiped. */
    public short doFinal(byte[] out, short outOff) {
        short pending = pendingLength[0];
        short subkey = K1;
        if (pending < Aes.BLOCK) {
            // 80 then zeros; the bytes after the pending data are still zero from init/absorb.
            state[(short) (PENDING + pending)] = (byte) 0x80;
            subkey = K2;
        }
        for (short i = 0; i < Aes.BLOCK; i++) {
            state[(short) (X + i)] ^= (byte) (state[(short) (PENDING + i)] ^ state[(short) (subkey + i)]);
        }
        aes.ecbEncrypt(state, X, Aes.BLOCK, out, outOff);
        Aes.wipe(state, (short) 0, STATE_SIZE);
        pendingLength[0] = 0;
        return MAC_LENGTH;
    }

    /** One-shot CMAC of a single range. */
    public short mac(byte[] key, short keyOff, short keyLen, byte[] in, short off, short len, byte[] out, short outOff) {
        init(key, keyOff, keyLen);
        update(in, off, len);
        return doFinal(out, outOff);
    }

    private void absorb() {
        for (short i = 0; i < Aes.BLOCK; i++) {
            state[(short) (X + i)] ^= state[(short) (PENDING + i)];
        }
        aes.ecbEncrypt(state, X, Aes.BLOCK, state, X);
        Util.arrayFillNonAtomic(state, PENDING, Aes.BLOCK, (byte) 0);
        pendingLength[0] = 0;
    }

    /** Doubling in GF(2^128): shift left by one bit, xor 0x87 into the last byte on carry. */
    private static void doubleBlock(byte[] b, short off) {
        byte carry = (byte) ((b[off] & 0x80) != 0 ? 0x87 : 0x00);
        for (short i = 0; i < (short) (Aes.BLOCK - 1); i++) {
            short idx = (short) (off + i);
            b[idx] = (byte) ((b[idx] << 1) | ((b[(short) (idx + 1)] >> 7) & 0x01));
        }
        short last = (short) (off + Aes.BLOCK - 1);
        b[last] = (byte) ((b[last] << 1) ^ carry);
    }
}
