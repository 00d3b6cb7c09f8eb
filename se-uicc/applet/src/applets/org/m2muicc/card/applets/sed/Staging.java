package org.m2muicc.card.applets.sed;

import org.m2muicc.card.applets.common.SedSw;
import org.m2muicc.card.applets.common.Tlv;

import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;

/**
 * The STORE DATA staging area: values wait here, invisible, until COMMIT copies them into the
 * {@link SedStore} in one transaction.
 *
 * <p>Transient (CLEAR_ON_RESET) on purpose: staged keys are written outside any transaction, and
 * keeping them out of persistent memory means a reset or a tear during personalisation leaves
 * nothing half-personalised behind; the station simply starts again.
 */
final class Staging {
    private final byte[] value;
    private final byte[] length;

    Staging() {
        value = JCSystem.makeTransientByteArray(FieldTable.SIZE, JCSystem.CLEAR_ON_RESET);
        length = JCSystem.makeTransientByteArray(FieldTable.COUNT, JCSystem.CLEAR_ON_RESET);
    }

    void clear() {
        Util.arrayFillNonAtomic(value, (short) 0, FieldTable.SIZE, (byte) 0);
        Util.arrayFillNonAtomic(length, (short) 0, FieldTable.COUNT, (byte) 0);
    }

    boolean isStaged(byte field) {
        return length[field] != 0;
    }

    short length(byte field) {
        return (short) (length[field] & 0xFF);
    }

    byte[] data() {
        return value;
    }

    /**
     * Stages the TLVs of one STORE DATA command. The whole command is checked first, so that a
     * wrong tag or length ({@code 6A80}) stages nothing.
     */
    void store(byte[] buf, short off, short len) {
        short end = (short) (off + len);
        short p = off;
        while (p < end) {
            short v = Tlv.valueOffset(buf, p, end);
            if (v < 0) {
                ISOException.throwIt(SedSw.WRONG_DATA);
            }
            byte field = FieldTable.byStoreTag(buf[p]);
            short vlen = Tlv.valueLength(buf, p);
            if (field < 0 || !FieldTable.lengthAllowed(field, vlen)) {
                ISOException.throwIt(SedSw.WRONG_DATA);
            }
            p = (short) (v + vlen);
        }
        p = off;
        while (p < end) {
            short v = Tlv.valueOffset(buf, p, end);
            byte field = FieldTable.byStoreTag(buf[p]);
            short vlen = Tlv.valueLength(buf, p);
            short dst = FieldTable.OFFSET[field];
            Util.arrayFillNonAtomic(value, dst, FieldTable.MAX[field], (byte) 0);
            Util.arrayCopyNonAtomic(buf, v, value, dst, vlen);
            length[field] = (byte) vlen;
            p = (short) (v + vlen);
        }
    }
}
