package org.m2muicc.card.applets.sed;

import org.m2muicc.card.applets.common.SedSw;

import javacard.framework.APDU;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;

import org.m2muicc.card.applets.common.AdminCode;
import org.m2muicc.card.applets.channel.SecureChannel;
import org.m2muicc.card.applets.common.Apdus;
import org.m2muicc.card.platform.UiccPlatform;

/**
 * Personalisation outside the secure channel (M2M-SED.md §3): STORE DATA into the staging area,
 * COMMIT (and lock) and LOCK, once VERIFY ADMIN ({@link AdminCode#verify}) succeeded.
 *
 * <p>COMMIT copies every staged field into the active store in <em>one</em> JCSystem
 * transaction, with the tear point {@code perso-commit} after each field: a power loss at any
 * of them rolls the whole commit back, so the card is never half personalised.
 */
final class Personalisation {
    private static final byte STORE_CLEAR_FIRST = 0x01;
    private static final byte COMMIT = 0x01;
    private static final byte LOCK = 0x02;
    private static final byte COMMIT_AND_LOCK = 0x03;

    private final SedStore store;
    private final Staging staging;
    private final AdminCode admin;
    private final SecureChannel channel;

    Personalisation(SedStore store, Staging staging, AdminCode admin, SecureChannel channel) {
        this.store = store;
        this.staging = staging;
        this.admin = admin;
        this.channel = channel;
    }

    /** STORE DATA {@code 80 E2 P1 00 Lc TLVs}: P1 b1 clears the staging area first. */
    void storeData(APDU apdu) {
        requireOpen();
        byte[] buf = apdu.getBuffer();
        byte p1 = buf[ISO7816.OFFSET_P1];
        short lc = Apdus.receiveAll(apdu);
        if ((p1 & STORE_CLEAR_FIRST) != 0) {
            staging.clear();
        }
        staging.store(buf, apdu.getOffsetCdata(), lc);
    }

    /** COMMIT {@code 80 E8 01 00}, LOCK {@code 80 E8 02 00}, COMMIT and LOCK {@code 80 E8 03 00}. */
    void commit(APDU apdu) {
        byte p1 = apdu.getBuffer()[ISO7816.OFFSET_P1];
        if (p1 != COMMIT && p1 != LOCK && p1 != COMMIT_AND_LOCK) {
            ISOException.throwIt(SedSw.WRONG_P1P2);
        }
        requireOpen();
        if (p1 == LOCK) {
            if (store.lifecycle() != SedStore.PERSONALISED) {
                ISOException.throwIt(SedSw.CONDITIONS);
            }
            JCSystem.beginTransaction();
            store.setLifecycle(SedStore.LOCKED);
            JCSystem.commitTransaction();
            return;
        }
        for (short i = 0; i < (short) FieldTable.MANDATORY.length; i++) {
            byte field = FieldTable.MANDATORY[i];
            if (!staging.isStaged(field) && !store.isSet(field)) {
                ISOException.throwIt(SedSw.CONDITIONS);
            }
        }
        boolean newKmsa = staging.isStaged(FieldTable.KMSA);
        JCSystem.beginTransaction();
        for (byte field = 0; field < FieldTable.COUNT; field++) {
            if (staging.isStaged(field)) {
                store.set(field, staging.data(), FieldTable.OFFSET[field], staging.length(field));
                UiccPlatform.tearPoint("perso-commit");
            }
        }
        if (newKmsa) {
            channel.master.clear(); // the master SA was agreed on the old Kmsa
        }
        store.setLifecycle(p1 == COMMIT_AND_LOCK ? SedStore.LOCKED : SedStore.PERSONALISED);
        JCSystem.commitTransaction();
        staging.clear();
        if (newKmsa) {
            channel.endConnection();
        }
    }

    /** Personalisation needs an unlocked card (6985) and VERIFY ADMIN on this channel (6982). */
    private void requireOpen() {
        if (store.lifecycle() == SedStore.LOCKED) {
            ISOException.throwIt(SedSw.CONDITIONS);
        }
        if (!admin.isAuthenticated()) {
            ISOException.throwIt(SedSw.SECURITY_STATUS);
        }
    }
}
