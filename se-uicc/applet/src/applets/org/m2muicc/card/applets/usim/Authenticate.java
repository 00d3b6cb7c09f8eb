package org.m2muicc.card.applets.usim;

import javacard.framework.APDU;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;

import org.m2muicc.card.applets.common.Apdus;
import org.m2muicc.card.crypto.Aes;
import org.m2muicc.card.crypto.Milenage;

/**
 * AUTHENTICATE (TS 31.102 7.1.2, USIM.md §3): {@code 00 88 00 81} 3G context and
 * {@code 00 88 00 84} GBA context (tag DD bootstrapping mode, tag DE NAF derivation mode).
 *
 * <p>Order of the AKA checks (TS 33.102 6.3.3): AK = f5(RAND), SQN = (SQN ⊕ AK) ⊕ AK, XMAC =
 * f1(SQN, RAND, AMF); a wrong MAC is 98 62 with nothing changed; a SQN that is not fresh
 * ({@link SqnStore}) answers {@code DC 0E AUTS}, AUTS = (SQN_MS ⊕ AK*) ‖ f1*(SQN_MS, RAND, 0000),
 * with nothing changed; otherwise SEQ_MS(IND), SQN_MS and (bootstrapping) Ks and RAND change in
 * one transaction before the answer. GBA_U's MAC* modification is not applied (USIM.md §3.2).
 */
final class Authenticate {
    private static final byte P2_3G = (byte) 0x81;
    private static final byte P2_GBA = (byte) 0x84;
    private static final byte TAG_BOOTSTRAP = (byte) 0xDD;
    private static final byte TAG_NAF = (byte) 0xDE;
    private static final byte TAG_OK = (byte) 0xDB;
    private static final byte TAG_SYNC = (byte) 0xDC;
    private static final short RAND = Milenage.RAND_LENGTH;
    private static final short AUTN = 16;
    private static final short AUTS = 14;
    private static final short RES = 8;

    private final Subscriber subscriber;
    private final SqnStore sqnStore;
    private final GbaStore gba;
    private final Milenage milenage;
    /** OUT1 ‖ OUT2 ‖ CK ‖ IK ‖ SQN ‖ AMF* */
    private final byte[] w;
    private static final short W_OUT1 = 0;
    private static final short W_OUT2 = 16;
    private static final short W_CK = 32;
    private static final short W_IK = 48;
    private static final short W_SQN = 64;
    private static final short W_AMF = 70;
    private static final short W_SIZE = 72;

    Authenticate(Subscriber subscriber, SqnStore sqnStore, GbaStore gba, Milenage milenage) {
        this.subscriber = subscriber;
        this.sqnStore = sqnStore;
        this.gba = gba;
        this.milenage = milenage;
        w = JCSystem.makeTransientByteArray(W_SIZE, JCSystem.CLEAR_ON_RESET);
    }

    void process(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        byte p2 = buf[ISO7816.OFFSET_P2];
        if (buf[ISO7816.OFFSET_P1] != 0 || (p2 != P2_3G && p2 != P2_GBA)) {
            ISOException.throwIt(UsimSw.WRONG_P1P2);
        }
        if (!subscriber.ready()) {
            ISOException.throwIt(UsimSw.CONDITIONS);
        }
        short lc = Apdus.receiveAll(apdu);
        short d = apdu.getOffsetCdata();
        if (p2 == P2_3G) {
            // 10 RAND 10 AUTN
            if (lc != (short) (2 + RAND + AUTN)) {
                ISOException.throwIt(UsimSw.WRONG_LENGTH);
            }
            aka(apdu, buf, d, false);
            return;
        }
        if (lc < 1) {
            ISOException.throwIt(UsimSw.WRONG_LENGTH);
        }
        if (buf[d] == TAG_BOOTSTRAP) {
            if (lc != (short) (3 + RAND + AUTN)) {
                ISOException.throwIt(UsimSw.WRONG_LENGTH);
            }
            aka(apdu, buf, (short) (d + 1), true);
        } else if (buf[d] == TAG_NAF) {
            naf(apdu, buf, d, lc);
        } else {
            ISOException.throwIt(UsimSw.WRONG_DATA);
        }
    }

    /** {@code L RAND L AUTN} at {@code d}. */
    private void aka(APDU apdu, byte[] buf, short d, boolean bootstrap) {
        if (buf[d] != RAND || buf[(short) (d + 1 + RAND)] != AUTN) {
            ISOException.throwIt(UsimSw.WRONG_DATA);
        }
        short rand = (short) (d + 1);
        short autn = (short) (d + 2 + RAND);
        try {
            milenage.begin(subscriber.k(), (short) 0, subscriber.opc(), (short) 0, buf, rand);
            milenage.out((byte) 2, w, W_OUT2);
            for (short i = 0; i < SqnStore.SQN; i++) {
                w[(short) (W_SQN + i)] = (byte) (buf[(short) (autn + i)] ^ w[(short) (W_OUT2 + i)]);
            }
            milenage.f1(w, W_SQN, buf, (short) (autn + SqnStore.SQN), w, W_OUT1);
            if (!Aes.equalsConstantTime(w, W_OUT1, buf, (short) (autn + 8), Milenage.MAC_LENGTH)) {
                ISOException.throwIt(UsimSw.AUTHENTICATION_ERROR);
            }
            if (!sqnStore.fresh(w, W_SQN)) {
                syncFailure(apdu, buf, rand);
                return;
            }
            milenage.out((byte) 3, w, W_CK);
            milenage.out((byte) 4, w, W_IK);
            JCSystem.beginTransaction();
            sqnStore.accept(w, W_SQN);
            if (bootstrap) {
                gba.bootstrap(w, W_CK, w, W_IK, buf, rand);
            }
            JCSystem.commitTransaction();
            short p = 0;
            buf[p++] = TAG_OK;
            buf[p++] = RES;
            p = Util.arrayCopyNonAtomic(w, (short) (W_OUT2 + 8), buf, p, RES);
            if (!bootstrap) {
                // CK, IK and the GSM Kc = c3(CK, IK) (service n°27 available)
                buf[p++] = 16;
                p = Util.arrayCopyNonAtomic(w, W_CK, buf, p, (short) 16);
                buf[p++] = 16;
                p = Util.arrayCopyNonAtomic(w, W_IK, buf, p, (short) 16);
                buf[p++] = 8;
                for (short i = 0; i < 8; i++) {
                    buf[(short) (p + i)] = (byte) (w[(short) (W_CK + i)] ^ w[(short) (W_CK + 8 + i)]
                            ^ w[(short) (W_IK + i)] ^ w[(short) (W_IK + 8 + i)]);
                }
                p += 8;
            }
            Apdus.send(apdu, buf, (short) 0, p);
        } finally {
            milenage.end();
            Util.arrayFillNonAtomic(w, (short) 0, W_SIZE, (byte) 0);
        }
    }

    /** {@code DC 0E AUTS}, AUTS = (SQN_MS ⊕ AK*) ‖ MAC-S with AMF* = 0000. */
    private void syncFailure(APDU apdu, byte[] buf, short rand) {
        byte[] sqnMs = sqnStore.sqnMs();
        milenage.out((byte) 5, w, W_OUT2);
        w[W_AMF] = 0;
        w[(short) (W_AMF + 1)] = 0;
        milenage.f1(sqnMs, (short) 0, w, W_AMF, w, W_OUT1);
        buf[0] = TAG_SYNC;
        buf[1] = AUTS;
        for (short i = 0; i < SqnStore.SQN; i++) {
            buf[(short) (2 + i)] = (byte) (sqnMs[i] ^ w[(short) (W_OUT2 + i)]);
        }
        Util.arrayCopyNonAtomic(w, (short) (W_OUT1 + 8), buf, (short) (2 + SqnStore.SQN), Milenage.MAC_LENGTH);
        Apdus.send(apdu, buf, (short) 0, (short) (2 + AUTS));
    }

    /** {@code DE L NAF_Id L IMPI} -> {@code DB 20 Ks_ext_NAF}. */
    private void naf(APDU apdu, byte[] buf, short d, short lc) {
        short end = (short) (d + lc);
        short nafLen = (short) (buf[(short) (d + 1)] & 0xFF);
        short naf = (short) (d + 2);
        short impiLenAt = (short) (naf + nafLen);
        if (impiLenAt >= end) {
            ISOException.throwIt(UsimSw.WRONG_DATA);
        }
        short impiLen = (short) (buf[impiLenAt] & 0xFF);
        short impi = (short) (impiLenAt + 1);
        if ((short) (impi + impiLen) != end) {
            ISOException.throwIt(UsimSw.WRONG_DATA);
        }
        // The response overwrites the command: derive into w first, then move it.
        gba.derive(buf, naf, nafLen, impi, impiLen, w, (short) 0);
        buf[0] = TAG_OK;
        buf[1] = 32;
        Util.arrayCopyNonAtomic(w, (short) 0, buf, (short) 2, (short) 32);
        Util.arrayFillNonAtomic(w, (short) 0, W_SIZE, (byte) 0);
        Apdus.send(apdu, buf, (short) 0, (short) 34);
    }
}
