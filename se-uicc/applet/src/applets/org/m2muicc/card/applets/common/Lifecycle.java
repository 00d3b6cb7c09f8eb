package org.m2muicc.card.applets.common;

import javacard.framework.APDU;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;

/**
 * The lifecycle of a secured environment domain (M2M-SED.md §3, IV-SED.md §3) and the
 * transitions COMMIT {@code 80 E8 01 00}, LOCK {@code 80 E8 02 00} and COMMIT and LOCK
 * {@code 80 E8 03 00} make; the domain's store extends it and persists {@link #lifecycle}.
 * What a commit copies is the domain's own business, between {@link #beginCommit} and
 * {@link #endCommit}.
 */
public abstract class Lifecycle {
    public static final byte INSTALLED = 0x01;
    public static final byte PERSONALISED = 0x03;
    public static final byte LOCKED = 0x07;

    private static final byte COMMIT = 0x01;
    private static final byte LOCK = 0x02;
    private static final byte COMMIT_AND_LOCK = 0x03;

    private byte lifecycle = INSTALLED;

    public final byte lifecycle() {
        return lifecycle;
    }

    public final boolean operational() {
        return lifecycle == PERSONALISED || lifecycle == LOCKED;
    }

    /** Inside a transaction only. */
    public final void setLifecycle(byte state) {
        lifecycle = state;
    }

    /** Personalisation needs an unlocked card (6985) and VERIFY ADMIN on this channel (6982). */
    public final void requireOpen(AdminCode admin) {
        if (lifecycle == LOCKED) {
            ISOException.throwIt(SedSw.CONDITIONS);
        }
        if (!admin.isAuthenticated()) {
            ISOException.throwIt(SedSw.SECURITY_STATUS);
        }
    }

    /**
     * Checks P1 (6A86) and {@link #requireOpen}, and carries out a LOCK (6985 unless personalised)
     * in its own transaction. Returns 0 after a LOCK, else P1: the caller then copies its staged
     * data and calls {@link #endCommit} with that P1, inside one transaction it opens.
     */
    public final byte beginCommit(APDU apdu, AdminCode admin) {
        byte p1 = apdu.getBuffer()[ISO7816.OFFSET_P1];
        if (p1 != COMMIT && p1 != LOCK && p1 != COMMIT_AND_LOCK) {
            ISOException.throwIt(SedSw.WRONG_P1P2);
        }
        requireOpen(admin);
        if (p1 != LOCK) {
            return p1;
        }
        if (lifecycle != PERSONALISED) {
            ISOException.throwIt(SedSw.CONDITIONS);
        }
        JCSystem.beginTransaction();
        lifecycle = LOCKED;
        JCSystem.commitTransaction();
        return 0;
    }

    /** The lifecycle a commit with this P1 ends in. Inside the commit's transaction. */
    public final void endCommit(byte p1) {
        lifecycle = p1 == COMMIT_AND_LOCK ? LOCKED : PERSONALISED;
    }
}
