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
        store.requireOpen(admin);
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
        byte p1 = store.beginCommit(apdu, admin);
        if (p1 == 0) {
            return; // LOCK
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
        store.endCommit(p1);
        JCSystem.commitTransaction();
        staging.clear();
        if (newKmsa) {
            channel.endConnection();
        }
    }
}
