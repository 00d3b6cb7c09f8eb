package org.m2muicc.card.crypto;

import javacard.framework.Util;

/**
 * MILENAGE (3GPP TS 35.206) on the card's AES-128: f1 and f1* (MAC-A, MAC-S), f2 (RES),
 * f3 (CK), f4 (IK), f5 and f5* (AK, AK*), with OPc (the card never holds OP).
 *
 * <pre>
 * TEMP = E_K(RAND xor OPc)
 * OUT1 = E_K(TEMP xor rot(IN1 xor OPc, r1) xor c1) xor OPc, IN1 = SQN ‖ AMF ‖ SQN ‖ AMF
 * OUTi = E_K(rot(TEMP xor OPc, ri) xor ci) xor OPc       i = 2..5
 * r = 64, 0, 32, 64, 96 bits (cyclic left); ci = 0..0 ‖ {00, 01, 02, 04, 08}
 * </pre>
 *
 * <p>Usage: {@link #begin} with K, OPc and RAND (computes TEMP), then any of {@link #f1} and
 * {@link #out}, then {@link #end} to wipe TEMP and the key object. Checked against the TS 35.208
 * test sets 1-4 and osmo-auc-gen (test/integration/usim_test.cpp).
 */
public final class Milenage {
    public static final short K_LENGTH = 16;
    public static final short RAND_LENGTH = 16;
    public static final short SQN_LENGTH = 6;
    public static final short AMF_LENGTH = 2;
    public static final short MAC_LENGTH = 8;
    public static final short OUT_LENGTH = 16;

    private static final short B = 16;
    /** Rotation in bytes of OUT1..OUT5 (r1..r5 are multiples of 8 bits). */
    private static final byte[] ROT = {8, 0, 4, 8, 12};
    /** Last byte of c1..c5. */
    private static final byte[] C = {0, 1, 2, 4, 8};

    private final Aes aes;
    private final byte[] opc;
    private final byte[] temp;
    private final byte[] work; // two blocks

    public Milenage(Aes aes) {
        this.aes = aes;
        opc = Aes.scratch(B);
        temp = Aes.scratch(B);
        work = Aes.scratch((short) (2 * B));
    }

    /** Loads K and OPc and computes TEMP for this RAND. */
    public void begin(byte[] k, short kOff, byte[] opcSrc, short opcOff, byte[] rand, short randOff) {
        Util.arrayCopyNonAtomic(opcSrc, opcOff, opc, (short) 0, B);
        aes.initEcbEncrypt(k, kOff, K_LENGTH);
        xor(rand, randOff, opc, (short) 0, work, (short) 0);
        aes.ecbEncrypt(work, (short) 0, B, temp, (short) 0);
    }

    /** OUT1 for this SQN and AMF: MAC-A (f1) ‖ MAC-S (f1*), 16 bytes to {@code out}. */
    public void f1(byte[] sqn, short sqnOff, byte[] amf, short amfOff, byte[] out, short outOff) {
        // IN1 xor OPc in work[16..32)
        Util.arrayCopyNonAtomic(sqn, sqnOff, work, B, SQN_LENGTH);
        Util.arrayCopyNonAtomic(amf, amfOff, work, (short) (B + SQN_LENGTH), AMF_LENGTH);
        Util.arrayCopyNonAtomic(work, B, work, (short) (B + 8), (short) 8);
        xor(work, B, opc, (short) 0, work, B);
        rotate(work, B, ROT[0], work, (short) 0);
        xor(work, (short) 0, temp, (short) 0, work, (short) 0);
        work[(short) (B - 1)] ^= C[0];
        finish(out, outOff);
    }

    /** OUTi, i = 2..5, 16 bytes to {@code out}: f5 = OUT2[0..6), f2 = OUT2[8..16), CK = OUT3, IK = OUT4, f5* = OUT5[0..6). */
    public void out(byte i, byte[] out, short outOff) {
        xor(temp, (short) 0, opc, (short) 0, work, B);
        rotate(work, B, ROT[(short) (i - 1)], work, (short) 0);
        work[(short) (B - 1)] ^= C[(short) (i - 1)];
        finish(out, outOff);
    }

    /** OPc = OP xor E_K(OP) (personalisation with OP). */
    public void opc(byte[] k, short kOff, byte[] op, short opOff, byte[] out, short outOff) {
        aes.initEcbEncrypt(k, kOff, K_LENGTH);
        aes.ecbEncrypt(op, opOff, B, work, (short) 0);
        xor(work, (short) 0, op, opOff, out, outOff);
        end();
    }

    /** Wipes TEMP, OPc, the work area and the key object. */
    public void end() {
        Aes.wipe(opc, (short) 0, B);
        Aes.wipe(temp, (short) 0, B);
        Aes.wipe(work, (short) 0, (short) (2 * B));
        aes.clearKeys();
    }

    /** E_K(work[0..16)) xor OPc to out; work[16..32) used as scratch. */
    private void finish(byte[] out, short outOff) {
        aes.ecbEncrypt(work, (short) 0, B, work, B);
        xor(work, B, opc, (short) 0, out, outOff);
    }

    private static void rotate(byte[] in, short inOff, short bytes, byte[] out, short outOff) {
        for (short j = 0; j < B; j++) {
            out[(short) (outOff + j)] = in[(short) (inOff + (short) ((short) (j + bytes) % B))];
        }
    }

    private static void xor(byte[] a, short aOff, byte[] b, short bOff, byte[] out, short outOff) {
        for (short j = 0; j < B; j++) {
            out[(short) (outOff + j)] = (byte) (a[(short) (aOff + j)] ^ b[(short) (bOff + j)]);
        }
    }
}
