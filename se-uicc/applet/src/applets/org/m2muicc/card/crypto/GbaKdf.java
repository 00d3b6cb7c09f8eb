package org.m2muicc.card.crypto;

import javacard.security.HMACKey;
import javacard.security.KeyBuilder;
import javacard.security.Signature;

/**
 * The GBA NAF key derivation of 3GPP TS 33.220 Annex B: {@code KDF(Ks, S) = HMAC-SHA-256(Ks, S)}
 * with {@code S = 01 ‖ P0 ‖ L0 ‖ RAND ‖ 0010 ‖ IMPI ‖ L2 ‖ NAF_Id ‖ L3} (Li = uint16 length of Pi),
 * P0 = "gba-me" for Ks_ext_NAF and "gba-u" for Ks_int_NAF; Ks = CK ‖ IK (32 bytes).
 * Checked by test/integration/usim_test.cpp: the usim_apdus vector of gba-digest-and-usim.json,
 * and the terminal's KDF (which gba-kdf.json checks) on the same inputs.
 */
public final class GbaKdf {
    public static final short KEY_LENGTH = 32;
    private static final byte FC = 0x01;
    private static final byte[] GBA_ME = {'g', 'b', 'a', '-', 'm', 'e'};
    private static final byte[] GBA_U = {'g', 'b', 'a', '-', 'u'};

    private final Signature hmac;
    private final HMACKey key;
    private final byte[] small; // FC or a 2-byte length

    public GbaKdf() {
        hmac = Signature.getInstance(Signature.ALG_HMAC_SHA_256, false);
        key = (HMACKey) KeyBuilder.buildKey(KeyBuilder.TYPE_HMAC_TRANSIENT_RESET,
                KeyBuilder.LENGTH_HMAC_SHA_256_BLOCK_64, false);
        small = Aes.scratch((short) 2);
    }

    /** Ks_ext_NAF ("gba-me") when {@code internal} is false, Ks_int_NAF ("gba-u") when true; 32 bytes to out. */
    public void nafKey(boolean internal, byte[] ks, short ksOff, byte[] rand, short randOff,
                       byte[] impi, short impiOff, short impiLen, byte[] nafId, short nafOff, short nafLen,
                       byte[] out, short outOff) {
        key.setKey(ks, ksOff, KEY_LENGTH);
        hmac.init(key, Signature.MODE_SIGN);
        small[0] = FC;
        hmac.update(small, (short) 0, (short) 1);
        byte[] p0 = internal ? GBA_U : GBA_ME;
        param(p0, (short) 0, (short) p0.length);
        param(rand, randOff, Milenage.RAND_LENGTH);
        param(impi, impiOff, impiLen);
        hmac.update(nafId, nafOff, nafLen);
        small[0] = (byte) (nafLen >> 8);
        small[1] = (byte) nafLen;
        hmac.sign(small, (short) 0, (short) 2, out, outOff);
        key.clearKey();
    }

    private void param(byte[] p, short off, short len) {
        if (len > 0) {
            hmac.update(p, off, len);
        }
        small[0] = (byte) (len >> 8);
        small[1] = (byte) len;
        hmac.update(small, (short) 0, (short) 2);
    }
}
