package org.m2muicc.card.applets.channel;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

import javacard.framework.JCSystem;
import javacard.framework.Util;

/**
 * The master security association (M2M-SED.md §5): only its 16-byte MSA_ID, in persistent
 * memory, since its key is the personalised Kmsa. A new master SA replaces the old one.
 */
public final class MasterSa {
    static final short ID_LENGTH = 16;

    private final byte[] id = new byte[ID_LENGTH];
    private boolean valid;

    boolean exists() {
        return valid;
    }

    boolean matches(byte[] buf, short off) {
        return valid && Util.arrayCompare(buf, off, id, (short) 0, ID_LENGTH) == 0;
    }

    byte[] id() {
        return id;
    }

    /** Replaces the master SA; the ID and the flag change together. */
    void establish(byte[] newId, short off) {
        boolean own = JCSystem.getTransactionDepth() == 0;
        if (own) {
            JCSystem.beginTransaction();
        }
        Util.arrayCopy(newId, off, id, (short) 0, ID_LENGTH);
        valid = true;
        if (own) {
            JCSystem.commitTransaction();
        }
    }

    /** Ends the master SA (inside the caller's transaction if one is open). */
    public void clear() {
        if (!valid) {
            return;
        }
        boolean own = JCSystem.getTransactionDepth() == 0;
        if (own) {
            JCSystem.beginTransaction();
        }
        valid = false;
        Util.arrayFillNonAtomic(id, (short) 0, ID_LENGTH, (byte) 0);
        if (own) {
            JCSystem.commitTransaction();
        }
    }

    // --- PersistentState part -------------------------------------------------------------

    public void write(DataOutput out) throws IOException {
        out.writeBoolean(valid);
        out.write(id);
    }

    public void read(DataInput in) throws IOException {
        valid = in.readBoolean();
        in.readFully(id);
    }
}
