package org.m2muicc.card.applets.ivsed;

import javacard.framework.APDU;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.ECPrivateKey;
import javacard.security.ECPublicKey;
import javacard.security.KeyBuilder;
import javacard.security.KeyPair;

import org.m2muicc.card.applets.channel.SecureChannel;
import org.m2muicc.card.applets.common.AdminCode;
import org.m2muicc.card.applets.common.Apdus;
import org.m2muicc.card.applets.common.SedSw;
import org.m2muicc.card.applets.common.Tlv;
import org.m2muicc.card.crypto.EcdsaP256;
import org.m2muicc.card.platform.UiccPlatform;

/**
 * Personalisation of the IV-SED outside the secure channel (IV-SED.md §3): STORE DATA into a
 * transient staging area, GENERATE ATTESTATION KEY into a pending pair, and COMMIT, which copies
 * both into the {@link IvStore} in one JCSystem transaction (tear point {@code iv-perso-commit}
 * after each field), or LOCK. A reset before COMMIT leaves nothing behind.
 */
final class IvPersonalisation {
    private static final byte STORE_CLEAR_FIRST = 0x01;
    private static final short SCALAR_MAX = 33;

    private final IvStore store;
    private final AdminCode admin;
    private final SecureChannel channel;
    private final EcdsaP256 ecdsa;
    private final byte[] staged;
    private final byte[] stagedFlags;
    private final KeyPair pending;
    private final byte[] scratch;

    IvPersonalisation(IvStore store, AdminCode admin, SecureChannel channel, EcdsaP256 ecdsa) {
        this.store = store;
        this.admin = admin;
        this.channel = channel;
        this.ecdsa = ecdsa;
        staged = JCSystem.makeTransientByteArray(IvStore.SIZE, JCSystem.CLEAR_ON_RESET);
        // [0..COUNT): field staged; [COUNT]: a pending attestation key exists
        stagedFlags = JCSystem.makeTransientByteArray((short) (IvStore.COUNT + 1), JCSystem.CLEAR_ON_RESET);
        pending = new KeyPair(KeyPair.ALG_EC_FP, KeyBuilder.LENGTH_EC_FP_256);
        scratch = JCSystem.makeTransientByteArray(EcdsaP256.POINT_LENGTH, JCSystem.CLEAR_ON_RESET);
    }

    /** STORE DATA {@code 80 E2 P1 00 Lc TLVs}; the whole command is checked before anything is staged. */
    void storeData(APDU apdu) {
        store.requireOpen(admin);
        byte[] buf = apdu.getBuffer();
        byte p1 = buf[ISO7816.OFFSET_P1];
        short lc = Apdus.receiveAll(apdu);
        short off = apdu.getOffsetCdata();
        short end = (short) (off + lc);
        for (short p = off; p < end; ) {
            short v = Tlv.valueOffset(buf, p, end);
            byte field = v < 0 ? -1 : fieldOf(buf[p]);
            short len = v < 0 ? -1 : Tlv.valueLength(buf, p);
            if (field < 0 || len != IvStore.LENGTH[field]) {
                ISOException.throwIt(SedSw.WRONG_DATA);
            }
            if ((field == IvStore.REF_KEY || field == IvStore.POLICY_KEY) && !ecdsa.isValidPoint(buf, v, len)) {
                ISOException.throwIt(SedSw.WRONG_DATA); // not on P-256
            }
            p = (short) (v + len);
        }
        if ((p1 & STORE_CLEAR_FIRST) != 0) {
            clearStaging();
        }
        for (short p = off; p < end; ) {
            short v = Tlv.valueOffset(buf, p, end);
            byte field = fieldOf(buf[p]);
            Util.arrayCopyNonAtomic(buf, v, staged, IvStore.OFFSET[field], IvStore.LENGTH[field]);
            stagedFlags[field] = 1;
            p = (short) (v + IvStore.LENGTH[field]);
        }
    }

    /** GENERATE ATTESTATION KEY {@code 80 48 00 00 00}: a new pending pair, its point returned. */
    void generateAttestationKey(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        if (buf[ISO7816.OFFSET_P1] != 0 || buf[ISO7816.OFFSET_P2] != 0) {
            ISOException.throwIt(SedSw.WRONG_P1P2);
        }
        store.requireOpen(admin);
        pending.genKeyPair();
        stagedFlags[IvStore.COUNT] = 1;
        short n = ((ECPublicKey) pending.getPublic()).getW(buf, (short) 0);
        Apdus.send(apdu, buf, (short) 0, n);
    }

    /** COMMIT {@code 80 E8 01 00}, LOCK {@code 80 E8 02 00}, COMMIT and LOCK {@code 80 E8 03 00}. */
    void commit(APDU apdu) {
        byte p1 = store.beginCommit(apdu, admin);
        if (p1 == 0) {
            return; // LOCK
        }
        for (byte f = 0; f < IvStore.COUNT; f++) {
            if (stagedFlags[f] == 0 && !store.isSet(f)) {
                ISOException.throwIt(SedSw.CONDITIONS);
            }
        }
        boolean newKey = stagedFlags[IvStore.COUNT] != 0;
        if (!newKey && !store.hasAttestationKey()) {
            ISOException.throwIt(SedSw.CONDITIONS);
        }
        boolean newKmsa = stagedFlags[IvStore.KMSA] != 0;
        JCSystem.beginTransaction();
        for (byte f = 0; f < IvStore.COUNT; f++) {
            if (stagedFlags[f] != 0) {
                store.set(f, staged, IvStore.OFFSET[f]);
                UiccPlatform.tearPoint("iv-perso-commit");
            }
        }
        if (newKey) {
            short n = ((ECPrivateKey) pending.getPrivate()).getS(scratch, (short) 0);
            byte[] w = staged; // the point travels through the (wiped below) staging area
            short wLen = ((ECPublicKey) pending.getPublic()).getW(w, (short) 0);
            if (n > SCALAR_MAX || wLen != EcdsaP256.POINT_LENGTH) {
                ISOException.throwIt(SedSw.UNKNOWN);
            }
            store.setAttestation(scratch, (short) 0, n, w, (short) 0);
            UiccPlatform.tearPoint("iv-perso-commit");
        }
        if (newKmsa) {
            channel.master.clear(); // the master SA was agreed on the old Kmsa_iv
        }
        store.endCommit(p1);
        JCSystem.commitTransaction();
        clearStaging();
        if (newKmsa) {
            channel.endConnection();
        }
    }

    private void clearStaging() {
        Util.arrayFillNonAtomic(staged, (short) 0, IvStore.SIZE, (byte) 0);
        Util.arrayFillNonAtomic(stagedFlags, (short) 0, (short) (IvStore.COUNT + 1), (byte) 0);
        Util.arrayFillNonAtomic(scratch, (short) 0, EcdsaP256.POINT_LENGTH, (byte) 0);
        pending.getPrivate().clearKey();
    }

    private static byte fieldOf(byte tag) {
        for (byte f = 0; f < IvStore.COUNT; f++) {
            if (IvStore.STORE_TAG[f] == tag) {
                return f;
            }
        }
        return -1;
    }
}
