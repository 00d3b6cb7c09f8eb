package org.m2muicc.card.applets.sed;

import javacard.framework.JCSystem;
import javacard.framework.Util;

import org.m2muicc.card.applets.channel.SessionPart;

/**
 * What the operational commands leave for each other inside one connection SA (M2M-SED.md §4):
 * the last master secret with the key slot it came from, and the exported key waiting for
 * ACTIVATE KEY with its target slot. CLEAR_ON_RESET, and zeroed whenever the CSA ends: they are
 * session material, never stored.
 */
final class SessionSecrets implements SessionPart {
    static final short MASTER_LENGTH = 48;
    static final short KEY_LENGTH = 32;

    private static final short MASTER_SLOT = 0;
    private static final short PENDING_TARGET = 1;
    static final short MASTER = 2;
    static final short PENDING = (short) (MASTER + MASTER_LENGTH);
    private static final short SIZE = (short) (PENDING + KEY_LENGTH);

    private final byte[] s;

    SessionSecrets() {
        s = JCSystem.makeTransientByteArray(SIZE, JCSystem.CLEAR_ON_RESET);
    }

    /** The array holding the secrets at {@link #MASTER} and {@link #PENDING}. */
    byte[] data() {
        return s;
    }

    /** The slot (P1 01 Kmr, 02 Kmc, 03 Kbs) of the last master secret; 0 when there is none. */
    byte masterSlot() {
        return s[MASTER_SLOT];
    }

    void setMasterSlot(byte slot) {
        s[MASTER_SLOT] = slot;
    }

    /** The target (01 Kmr, 02 Kmc) of the pending exported key; 0 when there is none. */
    byte pendingTarget() {
        return s[PENDING_TARGET];
    }

    void setPendingTarget(byte target) {
        s[PENDING_TARGET] = target;
    }

    void clearPending() {
        s[PENDING_TARGET] = 0;
        Util.arrayFillNonAtomic(s, PENDING, KEY_LENGTH, (byte) 0);
    }

    public void clear() {
        Util.arrayFillNonAtomic(s, (short) 0, SIZE, (byte) 0);
    }
}
