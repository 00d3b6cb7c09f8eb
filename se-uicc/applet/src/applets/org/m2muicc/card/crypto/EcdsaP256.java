package org.m2muicc.card.crypto;

import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.CryptoException;
import javacard.security.ECPublicKey;
import javacard.security.KeyBuilder;
import javacard.security.Signature;

/**
 * ECDSA P-256 with SHA-256 as COSE ES256 needs it (RFC 9053 §2.1): signatures as raw
 * {@code r ‖ s} (32 bytes each), while the Java Card {@code Signature} speaks ASN.1 DER. Also the
 * check that a SEC1 uncompressed point lies on P-256, done by the engine when a key is used.
 *
 * <p>The scratch key only ever holds public points; it is not cleared because clearing drops
 * its P-256 domain parameters in the emulator.
 */
public final class EcdsaP256 {
    public static final short POINT_LENGTH = 65;
    public static final short RAW_LENGTH = 64;
    private static final short HALF = 32;
    private static final short DER_MAX = 72;

    private final Signature signature;
    private final ECPublicKey scratchKey;
    private final byte[] der;

    public EcdsaP256() {
        signature = Signature.getInstance(Signature.ALG_ECDSA_SHA_256, false);
        scratchKey = (ECPublicKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PUBLIC, KeyBuilder.LENGTH_EC_FP_256, false);
        der = JCSystem.makeTransientByteArray(DER_MAX, JCSystem.CLEAR_ON_RESET);
    }

    /** The signature engine, for callers that feed the signed data in pieces. */
    public Signature engine() {
        return signature;
    }

    /**
     * Whether {@code p[off..off+len)} is an uncompressed point on P-256. The key builder's
     * default domain is secp256r1; the engine decodes (and validates) the point when a
     * signature is initialised with it.
     */
    public boolean isValidPoint(byte[] p, short off, short len) {
        if (len != POINT_LENGTH || p[off] != 0x04) {
            return false;
        }
        try {
            scratchKey.setW(p, off, len);
            signature.init(scratchKey, Signature.MODE_VERIFY);
            return true;
        } catch (CryptoException e) {
            return false;
        } catch (RuntimeException e) {
            return false; // the emulator's engine rejects a point off the curve this way
        }
    }

    /** Initialises the engine to verify under the point {@code p[off..off+65)}. */
    public void initVerify(byte[] p, short off) {
        scratchKey.setW(p, off, POINT_LENGTH);
        signature.init(scratchKey, Signature.MODE_VERIFY);
    }

    /** Finishes a verification with the raw signature {@code raw[rawOff..+64)}. */
    public boolean verifyRaw(byte[] last, short lastOff, short lastLen, byte[] raw, short rawOff) {
        short derLen = toDer(raw, rawOff);
        try {
            return signature.verify(last, lastOff, lastLen, der, (short) 0, derLen);
        } catch (CryptoException e) {
            return false;
        }
    }

    /** Finishes a signature (engine initialised in MODE_SIGN) and writes raw r ‖ s to {@code out}. */
    public void signRaw(byte[] last, short lastOff, short lastLen, byte[] out, short outOff) {
        short len = signature.sign(last, lastOff, lastLen, der, (short) 0);
        fromDer(der, len, out, outOff);
        Util.arrayFillNonAtomic(der, (short) 0, DER_MAX, (byte) 0);
    }

    /** DER SEQUENCE { INTEGER r, INTEGER s } of a raw signature, into {@link #der}; its length. */
    private short toDer(byte[] raw, short off) {
        short p = 2;
        p = derInteger(raw, off, p);
        p = derInteger(raw, (short) (off + HALF), p);
        der[0] = 0x30;
        der[1] = (byte) (p - 2);
        return p;
    }

    private short derInteger(byte[] raw, short off, short p) {
        short skip = 0;
        while (skip < (short) (HALF - 1) && raw[(short) (off + skip)] == 0) {
            skip++;
        }
        short n = (short) (HALF - skip);
        boolean pad = (raw[(short) (off + skip)] & 0x80) != 0;
        der[p++] = 0x02;
        der[p++] = (byte) (pad ? n + 1 : n);
        if (pad) {
            der[p++] = 0;
        }
        return Util.arrayCopyNonAtomic(raw, (short) (off + skip), der, p, n);
    }

    /** Raw r ‖ s from the engine's DER output (which it wrote itself, so well-formed). */
    private static void fromDer(byte[] d, short len, byte[] out, short outOff) {
        Util.arrayFillNonAtomic(out, outOff, RAW_LENGTH, (byte) 0);
        short p = 2;
        for (short i = 0; i < 2; i++) {
            short n = (short) (d[(short) (p + 1)] & 0xFF);
            short v = (short) (p + 2);
            while (n > HALF) { // a leading 00 that keeps the integer positive
                v++;
                n--;
            }
            Util.arrayCopyNonAtomic(d, v, out, (short) (outOff + i * HALF + HALF - n), n);
            p = (short) (v + n);
        }
        if (p != len) {
            CryptoException.throwIt(CryptoException.ILLEGAL_VALUE);
        }
    }
}
