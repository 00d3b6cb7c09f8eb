package org.m2muicc.card.crypto;

import javacard.framework.Util;
import javacard.security.CryptoException;

/**
 * NIST SP 800-108 KDF in counter mode with AES-CMAC as PRF, exactly as OpenSSL 3's
 * {@code KBKDF} (mode counter, mac CMAC, 32-bit counter before the fixed input, separator
 * 00, L as 32-bit big-endian bit count at the end):
 * {@code K(i) = CMAC(KI, [i]_32 ‖ label ‖ 00 ‖ context ‖ [L]_32)}, output = K(1) ‖ K(2) ‖ ...
 *
 * <p>The secure channel's session keys are single blocks (L = 128, security profile §2); the
 * general form is kept so that the known-answer diagnostics can check longer outputs too.
 */
public final class KbkdfCmac {
    /** L = 8 × length must fit a signed short: 4095 × 8 = 32760. */
    private static final short MAX_OUTPUT = (short) 4095;

    private final AesCmac cmac;
    private final byte[] block;

    public KbkdfCmac(AesCmac cmac) {
        this.cmac = cmac;
        block = Aes.scratch((short) (AesCmac.MAC_LENGTH + 8));
    }

    /**
     * Derives {@code outLen} bytes (1..4095) from the key {@code ki} (16, 24 or 32 bytes).
     * {@code out} may not overlap the inputs.
     */
    public void derive(byte[] ki, short kiOff, short kiLen,
                       byte[] label, short labelOff, short labelLen,
                       byte[] context, short contextOff, short contextLen,
                       byte[] out, short outOff, short outLen) {
        if (outLen <= 0 || outLen > MAX_OUTPUT) {
            CryptoException.throwIt(CryptoException.ILLEGAL_VALUE);
        }
        // [L]_32: the output length in bits, big-endian.
        short bits = (short) (outLen << 3);
        final short lOff = AesCmac.MAC_LENGTH;      // 4 bytes of L
        final short iOff = (short) (lOff + 4);      // 4 bytes of i
        Util.arrayFillNonAtomic(block, lOff, (short) 8, (byte) 0);
        Util.setShort(block, (short) (lOff + 2), bits);
        short done = 0;
        short counter = 1;
        while (done < outLen) {
            Util.setShort(block, (short) (iOff + 2), counter);
            cmac.init(ki, kiOff, kiLen);
            cmac.update(block, iOff, (short) 4);
            cmac.update(label, labelOff, labelLen);
            cmac.update((byte) 0x00);
            cmac.update(context, contextOff, contextLen);
            cmac.update(block, lOff, (short) 4);
            cmac.doFinal(block, (short) 0);
            short n = (short) (outLen - done);
            if (n > AesCmac.MAC_LENGTH) {
                n = AesCmac.MAC_LENGTH;
            }
            Util.arrayCopyNonAtomic(block, (short) 0, out, (short) (outOff + done), n);
            done += n;
            counter++;
        }
        Aes.wipe(block, (short) 0, AesCmac.MAC_LENGTH);
    }
}
