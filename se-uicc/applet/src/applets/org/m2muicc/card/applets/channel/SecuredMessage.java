package org.m2muicc.card.applets.channel;

import org.m2muicc.card.applets.common.Tlv;

import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacardx.crypto.Cipher;

import org.m2muicc.card.crypto.Aes;
import org.m2muicc.card.crypto.AesCmac;
import org.m2muicc.card.crypto.CardCrypto;
import org.m2muicc.card.crypto.Iso9797M2;

/**
 * The secured-message codec of the security profile (M2M-SED.md §6): the value of TLV '86' is
 * {@code counter (4) ‖ AES-128-CBC(S-ENC, IV, M2 pad(plaintext)) ‖ MAC (8)}, with
 * {@code IV = AES-ECB(S-ENC, 12×00 ‖ counter)} (first byte | 80 card-to-terminal) and
 * {@code MAC = CMAC(K, chain ‖ P1 ‖ P2 ‖ counter ‖ ciphertext)[0..8)}, K = S-MAC inbound,
 * S-RMAC outbound, chain = the previous full CMAC of that direction.
 *
 * <p>Works in place in the caller's buffer, reads and advances the counters and chains kept in
 * the {@link ConnectionSa}. A message is accepted (counter and chain advanced) only when every
 * check passed: counter, MAC, then padding.
 */
final class SecuredMessage {
    static final byte TAG = (byte) 0x86;
    private static final short COUNTER = ConnectionSa.COUNTER_LENGTH;
    private static final short MAC = 8;
    private static final short OVERHEAD = (short) (COUNTER + MAC);
    /** P1 that enters the MAC: TRANSACT DATA command blocks carry 04, response reads 00. */
    private static final byte P1_COMMAND = 0x04;
    private static final byte P1_RESPONSE = 0x00;
    private static final byte CARD_TO_TERMINAL = (byte) 0x80;

    private final CardCrypto crypto;
    private final ConnectionSa csa;
    private final byte[] scratch; // full CMAC ‖ IV

    SecuredMessage(CardCrypto crypto, ConnectionSa csa) {
        this.crypto = crypto;
        this.csa = csa;
        scratch = JCSystem.makeTransientByteArray((short) 32, JCSystem.CLEAR_ON_RESET);
    }

    /**
     * Checks and decrypts the secured value {@code b[off..off+len)} of a command whose first
     * TRANSACT DATA block had P2 = {@code p2}. Returns the plaintext length (the plaintext is at
     * {@code off + 4}), or -1 when the message must be refused.
     */
    short unwrap(byte[] b, short off, short len, byte p2) {
        short ctLen = (short) (len - OVERHEAD);
        if (ctLen < Aes.BLOCK || (short) (ctLen % Aes.BLOCK) != 0) {
            return -1;
        }
        byte[] s = csa.data();
        if (!counterGreater(b, off, s, ConnectionSa.COMMAND_COUNTER)) {
            return -1;
        }
        short ctOff = (short) (off + COUNTER);
        AesCmac cmac = crypto.cmac;
        cmac.init(s, ConnectionSa.S_MAC, ConnectionSa.KEY_LENGTH);
        cmac.update(s, ConnectionSa.COMMAND_CHAIN, ConnectionSa.CHAIN_LENGTH);
        cmac.update(P1_COMMAND);
        cmac.update(p2);
        cmac.update(b, off, (short) (COUNTER + ctLen));
        cmac.doFinal(scratch, (short) 0);
        if (!Aes.equalsConstantTime(scratch, (short) 0, b, (short) (ctOff + ctLen), MAC)) {
            wipe();
            return -1;
        }
        iv(b, off, (byte) 0);
        crypto.aes.cbc(Cipher.MODE_DECRYPT, s, ConnectionSa.S_ENC, ConnectionSa.KEY_LENGTH,
                scratch, (short) 16, b, ctOff, ctLen, b, ctOff);
        crypto.aes.clearKeys();
        short ptLen = Iso9797M2.unpaddedLength(b, ctOff, ctLen);
        if (ptLen < 0 || ptLen > TransferBuffer.MAX_PLAINTEXT) {
            wipe();
            return -1;
        }
        Util.arrayCopyNonAtomic(b, off, s, ConnectionSa.COMMAND_COUNTER, COUNTER);
        Util.arrayCopyNonAtomic(scratch, (short) 0, s, ConnectionSa.COMMAND_CHAIN, ConnectionSa.CHAIN_LENGTH);
        wipe();
        return ptLen;
    }

    /** The size of the TLV '86' that carries a plaintext of {@code ptLen} bytes. */
    static short encodedLength(short ptLen) {
        short value = (short) (OVERHEAD + Iso9797M2.paddedLength(ptLen));
        return (short) (Tlv.headerSize(value) + value);
    }

    /** The number of blocks of at most {@code container} bytes that carry {@code length} bytes. */
    static short blocks(short length, short container) {
        return (short) ((short) (length + container - 1) / container);
    }

    /**
     * Protects the response plaintext {@code pt[ptOff..ptOff+ptLen)} as TLV '86' at
     * {@code out[0..)}, for the current container size; returns the TLV length.
     */
    short wrap(byte[] pt, short ptOff, short ptLen, byte[] out) {
        short tlvLen = encodedLength(ptLen);
        short valueLen = (short) (OVERHEAD + Iso9797M2.paddedLength(ptLen));
        byte p2 = (byte) (blocks(tlvLen, csa.containerSize()) - 1);
        byte[] s = csa.data();
        increment(s, ConnectionSa.RESPONSE_COUNTER);

        short off = Tlv.writeHeader(out, (short) 0, TAG, valueLen);
        Util.arrayCopyNonAtomic(s, ConnectionSa.RESPONSE_COUNTER, out, off, COUNTER);
        short ctOff = (short) (off + COUNTER);
        Util.arrayCopyNonAtomic(pt, ptOff, out, ctOff, ptLen);
        short ctLen = Iso9797M2.pad(out, ctOff, ptLen);
        iv(out, off, CARD_TO_TERMINAL);
        crypto.aes.cbc(Cipher.MODE_ENCRYPT, s, ConnectionSa.S_ENC, ConnectionSa.KEY_LENGTH,
                scratch, (short) 16, out, ctOff, ctLen, out, ctOff);
        crypto.aes.clearKeys();

        AesCmac cmac = crypto.cmac;
        cmac.init(s, ConnectionSa.S_RMAC, ConnectionSa.KEY_LENGTH);
        cmac.update(s, ConnectionSa.RESPONSE_CHAIN, ConnectionSa.CHAIN_LENGTH);
        cmac.update(P1_RESPONSE);
        cmac.update(p2);
        cmac.update(out, off, (short) (COUNTER + ctLen));
        cmac.doFinal(s, ConnectionSa.RESPONSE_CHAIN);
        Util.arrayCopyNonAtomic(s, ConnectionSa.RESPONSE_CHAIN, out, (short) (ctOff + ctLen), MAC);
        wipe();
        return tlvLen;
    }

    /** IV = AES-ECB(S-ENC, flag ‖ 11×00 ‖ counter) into scratch[16..32). */
    private void iv(byte[] counter, short counterOff, byte flag) {
        Util.arrayFillNonAtomic(scratch, (short) 16, (short) 12, (byte) 0);
        scratch[16] = flag;
        Util.arrayCopyNonAtomic(counter, counterOff, scratch, (short) 28, COUNTER);
        crypto.aes.initEcbEncrypt(csa.data(), ConnectionSa.S_ENC, ConnectionSa.KEY_LENGTH);
        crypto.aes.ecbEncrypt(scratch, (short) 16, Aes.BLOCK, scratch, (short) 16);
    }

    private void wipe() {
        Util.arrayFillNonAtomic(scratch, (short) 0, (short) 32, (byte) 0);
    }

    /** Whether the 4-byte big-endian {@code a} is greater than {@code b}, unsigned. */
    private static boolean counterGreater(byte[] a, short aOff, byte[] b, short bOff) {
        for (short i = 0; i < COUNTER; i++) {
            short x = (short) (a[(short) (aOff + i)] & 0xFF);
            short y = (short) (b[(short) (bOff + i)] & 0xFF);
            if (x != y) {
                return x > y;
            }
        }
        return false;
    }

    /** +1 on a 4-byte big-endian counter. */
    private static void increment(byte[] c, short off) {
        for (short i = (short) (off + COUNTER - 1); i >= off; i--) {
            c[i]++;
            if (c[i] != 0) {
                return;
            }
        }
    }
}
