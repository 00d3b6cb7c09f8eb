package org.m2muicc.card.applets.usim;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

import javacard.framework.JCSystem;
import javacard.framework.Util;

import org.m2muicc.card.platform.UiccPlatform;

/**
 * SQN freshness per TS 33.102 Annex C.3.2 (USIM.md §3.3): SQN = SEQ ‖ IND with a 5-bit IND, an
 * array SEQ_MS(0..31) and SQN_MS, the highest SQN accepted. A SQN is fresh when
 * {@code SEQ > SEQ_MS(IND)} and {@code SEQ - SEQ(SQN_MS) <= Δ} (Δ = 2^28); the age limit L is off.
 *
 * <p>{@link #accept} writes SEQ_MS(IND) and then SQN_MS, with the tear point {@code usim-sqn}
 * between them; callers hold a transaction, so a power loss leaves both old or both new.
 */
final class SqnStore {
    static final short SQN = 6;
    private static final short IND_BITS = 5;
    private static final short A = 32;
    private static final byte IND_MASK = 0x1F;
    /** Δ = 2^28 in SEQ units, 6 bytes big-endian. */
    private static final byte[] DELTA = {0, 0, 0x10, 0, 0, 0};

    private final byte[] seqMs = new byte[(short) (A * SQN)]; // SEQ_MS(i), right-aligned
    private final byte[] sqnMs = new byte[SQN];
    private final byte[] work; // SEQ ‖ SEQ(SQN_MS) ‖ difference

    SqnStore() {
        work = JCSystem.makeTransientByteArray((short) (3 * SQN), JCSystem.CLEAR_ON_RESET);
    }

    /** SQN_MS, the highest SQN accepted (what AUTS carries). */
    byte[] sqnMs() {
        return sqnMs;
    }

    boolean fresh(byte[] sqn, short off) {
        short ind = (short) (sqn[(short) (off + SQN - 1)] & IND_MASK);
        seqOf(sqn, off, work, (short) 0);
        seqOf(sqnMs, (short) 0, work, SQN);
        if (compare(work, (short) 0, work, SQN) > 0) {
            subtract(work, (short) 0, work, SQN, work, (short) (2 * SQN));
            if (compare(work, (short) (2 * SQN), DELTA, (short) 0) > 0) {
                return false;
            }
        }
        return compare(work, (short) 0, seqMs, (short) (ind * SQN)) > 0;
    }

    /** Records an accepted SQN. Inside a transaction only. */
    void accept(byte[] sqn, short off) {
        short ind = (short) (sqn[(short) (off + SQN - 1)] & IND_MASK);
        seqOf(sqn, off, work, (short) 0);
        Util.arrayCopy(work, (short) 0, seqMs, (short) (ind * SQN), SQN);
        UiccPlatform.tearPoint("usim-sqn");
        if (compare(sqn, off, sqnMs, (short) 0) > 0) {
            Util.arrayCopy(sqn, off, sqnMs, (short) 0, SQN);
        }
    }

    /**
     * Personalisation: start from this SQN_MS. Every SEQ_MS(i) becomes its SEQ, so nothing at or
     * below it is fresh. Inside a transaction only.
     */
    void start(byte[] sqn, short off) {
        seqOf(sqn, off, work, (short) 0);
        for (short i = 0; i < A; i++) {
            Util.arrayCopy(work, (short) 0, seqMs, (short) (i * SQN), SQN);
        }
        Util.arrayCopy(sqn, off, sqnMs, (short) 0, SQN);
    }

    /** SEQ = SQN >> 5 (48-bit big-endian arithmetic on bytes). */
    private static void seqOf(byte[] sqn, short off, byte[] out, short outOff) {
        short carry = 0;
        for (short i = 0; i < SQN; i++) {
            short b = (short) (sqn[(short) (off + i)] & 0xFF);
            out[(short) (outOff + i)] = (byte) ((carry << (8 - IND_BITS)) | (b >> IND_BITS));
            carry = (short) (b & IND_MASK);
        }
    }

    private static short compare(byte[] a, short aOff, byte[] b, short bOff) {
        for (short i = 0; i < SQN; i++) {
            short x = (short) (a[(short) (aOff + i)] & 0xFF);
            short y = (short) (b[(short) (bOff + i)] & 0xFF);
            if (x != y) {
                return (short) (x - y);
            }
        }
        return 0;
    }

    /** out = a - b (a >= b). */
    private static void subtract(byte[] a, short aOff, byte[] b, short bOff, byte[] out, short outOff) {
        short borrow = 0;
        for (short i = (short) (SQN - 1); i >= 0; i--) {
            short d = (short) ((a[(short) (aOff + i)] & 0xFF) - (b[(short) (bOff + i)] & 0xFF) - borrow);
            borrow = (short) (d < 0 ? 1 : 0);
            out[(short) (outOff + i)] = (byte) d;
        }
    }

    void write(DataOutput out) throws IOException {
        out.write(seqMs);
        out.write(sqnMs);
    }

    void read(DataInput in) throws IOException {
        in.readFully(seqMs);
        in.readFully(sqnMs);
    }
}
