package org.m2muicc.card.applets.sed;

import org.m2muicc.card.applets.common.Tlv;

import org.m2muicc.card.applets.common.AdminCode;
import org.m2muicc.card.crypto.Kcv;

/**
 * GET DATA {@code 80 CA 00 FF} (M2M-SED.md §2): lifecycle, tries left, the identifiers that are
 * set, and a 3-byte check value per key present. Never a key.
 */
final class PublicData {
    private static final byte TAG_LIFECYCLE = (byte) 0xC0;
    private static final byte TAG_TRIES = (byte) 0xCF;

    private final SedStore store;
    private final AdminCode admin;
    private final Kcv kcv;

    PublicData(SedStore store, AdminCode admin, Kcv kcv) {
        this.store = store;
        this.admin = admin;
        this.kcv = kcv;
    }

    /** The length of the whole response. */
    short length() {
        short len = 6; // C0 and CF
        for (byte f = 0; f < FieldTable.FIRST_KEY; f++) {
            if (store.isSet(f)) {
                short l = store.length(f);
                len += (short) (Tlv.headerSize(l) + l);
            }
        }
        for (byte f = FieldTable.FIRST_KEY; f < FieldTable.COUNT; f++) {
            if (store.isSet(f)) {
                len += (short) (2 + Kcv.LENGTH);
            }
        }
        return len;
    }

    /** Writes the response at {@code out[off..)}; returns the offset after it. */
    short write(byte[] out, short off) {
        out[off++] = TAG_LIFECYCLE;
        out[off++] = 1;
        out[off++] = store.lifecycle();
        out[off++] = TAG_TRIES;
        out[off++] = 1;
        out[off++] = admin.triesRemaining();
        for (byte f = 0; f < FieldTable.FIRST_KEY; f++) {
            if (store.isSet(f)) {
                off = Tlv.write(out, off, FieldTable.TAG[f], store.data(), SedStore.offset(f), store.length(f));
            }
        }
        for (byte f = FieldTable.FIRST_KEY; f < FieldTable.COUNT; f++) {
            if (store.isSet(f)) {
                out[off++] = FieldTable.KCV_TAG[(short) (f - FieldTable.FIRST_KEY)];
                out[off++] = (byte) Kcv.LENGTH;
                off += kcv.compute(store.data(), SedStore.offset(f), store.length(f), out, off);
            }
        }
        return off;
    }
}
