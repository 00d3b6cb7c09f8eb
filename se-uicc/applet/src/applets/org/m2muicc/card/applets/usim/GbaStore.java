package org.m2muicc.card.applets.usim;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;

import org.m2muicc.card.crypto.GbaKdf;
import org.m2muicc.card.crypto.Milenage;
import org.m2muicc.card.platform.UiccPlatform;

/**
 * GBA_U state (USIM.md §3.2, §5): Ks = CK ‖ IK with its RAND from the last bootstrapping, and the
 * Ks_int_NAF entries kept per NAF_Id (4 entries, the least recently used one replaced), each with
 * the B-TID EF_GBABP named when it was derived. EF_GBANL is a view of these entries.
 *
 * <p>Writers hold a transaction: a bootstrap stores Ks and RAND together with the SQN update; a
 * NAF derivation stores its entry (key, NAF_Id, B-TID, use stamp) in one transaction (tear point
 * {@code usim-naf}).
 */
final class GbaStore implements GbaKeyService {
    static final short ENTRIES = 4;
    static final short NAF_ID_MAX = 100;
    static final short BTID_MAX = 100;
    /** EF_GBANL record: 80 L NAF_Id 81 L B-TID, FF-padded. */
    static final short GBANL_RECORD = (short) (2 + NAF_ID_MAX + 2 + BTID_MAX);
    private static final short IMPI_MAX = 255;
    private static final short KS = GbaKdf.KEY_LENGTH;

    private final byte[] ks = new byte[KS];
    private final byte[] rand = new byte[Milenage.RAND_LENGTH];
    private boolean bootstrapped;

    private final byte[] nafIds = new byte[(short) (ENTRIES * NAF_ID_MAX)];
    private final byte[] nafIdLen = new byte[ENTRIES];
    private final byte[] btids = new byte[(short) (ENTRIES * BTID_MAX)];
    private final byte[] btidLen = new byte[ENTRIES];
    private final byte[] keys = new byte[(short) (ENTRIES * KS)];
    private final short[] used = new short[ENTRIES];
    private short clock;

    private final GbaKdf kdf;
    private final UsimFiles files;
    private final byte[] intKey;

    GbaStore(GbaKdf kdf, UsimFiles files) {
        this.kdf = kdf;
        this.files = files;
        intKey = JCSystem.makeTransientByteArray(KS, JCSystem.CLEAR_ON_RESET);
    }

    boolean bootstrapped() {
        return bootstrapped;
    }

    /** A new bootstrap: Ks = CK ‖ IK and RAND. Inside a transaction only. */
    void bootstrap(byte[] ck, short ckOff, byte[] ik, short ikOff, byte[] r, short rOff) {
        Util.arrayCopy(ck, ckOff, ks, (short) 0, (short) 16);
        Util.arrayCopy(ik, ikOff, ks, (short) 16, (short) 16);
        UiccPlatform.tearPoint("usim-ks");
        Util.arrayCopy(r, rOff, rand, (short) 0, Milenage.RAND_LENGTH);
        bootstrapped = true;
    }

    /** Forgets Ks and every Ks_int_NAF (new subscriber keys). Inside a transaction only. */
    void clear() {
        Util.arrayFillNonAtomic(ks, (short) 0, KS, (byte) 0);
        Util.arrayFillNonAtomic(keys, (short) 0, (short) keys.length, (byte) 0);
        Util.arrayFillNonAtomic(nafIdLen, (short) 0, ENTRIES, (byte) 0);
        Util.arrayFillNonAtomic(btidLen, (short) 0, ENTRIES, (byte) 0);
        bootstrapped = false;
    }

    public void nafKeys(byte[] in, short nafIdOff, short nafIdLen, short impiOff, short impiLen,
                        byte[] ext, short extOff, byte[] internal, short intOff) {
        short e = derive(in, nafIdOff, nafIdLen, impiOff, impiLen, ext, extOff);
        Util.arrayCopyNonAtomic(keys, (short) (e * KS), internal, intOff, KS);
    }

    /**
     * NAF derivation mode: Ks_ext_NAF to {@code out}, Ks_int_NAF kept for this NAF_Id in the
     * entry whose index is returned. No bootstrap: 6985.
     */
    short derive(byte[] in, short nafIdOff, short nafLen, short impiOff, short impiLen, byte[] out, short extOff) {
        if (nafLen < 6 || nafLen > NAF_ID_MAX || impiLen < 1 || impiLen > IMPI_MAX) {
            ISOException.throwIt(UsimSw.WRONG_DATA);
        }
        if (!bootstrapped) {
            ISOException.throwIt(UsimSw.CONDITIONS);
        }
        kdf.nafKey(false, ks, (short) 0, rand, (short) 0, in, impiOff, impiLen, in, nafIdOff, nafLen, out, extOff);
        kdf.nafKey(true, ks, (short) 0, rand, (short) 0, in, impiOff, impiLen, in, nafIdOff, nafLen, intKey, (short) 0);
        short e = find(in, nafIdOff, nafLen);
        if (e < 0) {
            e = leastRecentlyUsed();
        }
        JCSystem.beginTransaction();
        Util.arrayCopy(intKey, (short) 0, keys, (short) (e * KS), KS);
        UiccPlatform.tearPoint("usim-naf");
        Util.arrayCopy(in, nafIdOff, nafIds, (short) (e * NAF_ID_MAX), nafLen);
        nafIdLen[e] = (byte) nafLen;
        btidLen[e] = (byte) files.btidOf(rand, (short) 0, btids, (short) (e * BTID_MAX), BTID_MAX);
        clock++;
        used[e] = clock;
        JCSystem.commitTransaction();
        Util.arrayFillNonAtomic(intKey, (short) 0, KS, (byte) 0);
        return e;
    }

    private short find(byte[] in, short off, short len) {
        for (short e = 0; e < ENTRIES; e++) {
            if ((nafIdLen[e] & 0xFF) == len
                    && Util.arrayCompare(in, off, nafIds, (short) (e * NAF_ID_MAX), len) == 0) {
                return e;
            }
        }
        return -1;
    }

    private short leastRecentlyUsed() {
        short best = 0;
        for (short e = 0; e < ENTRIES; e++) {
            if (nafIdLen[e] == 0) {
                return e;
            }
            if (used[e] < used[best]) {
                best = e;
            }
        }
        return best;
    }

    /** EF_GBANL record {@code n} (1-based): 80 L NAF_Id 81 L B-TID, FF-padded; empty entries all FF. */
    void gbanlRecord(short n, byte[] out, short off) {
        Util.arrayFillNonAtomic(out, off, GBANL_RECORD, (byte) 0xFF);
        short e = (short) (n - 1);
        short nl = (short) (nafIdLen[e] & 0xFF);
        if (nl == 0) {
            return;
        }
        short p = off;
        out[p++] = (byte) 0x80;
        out[p++] = (byte) nl;
        p = Util.arrayCopyNonAtomic(nafIds, (short) (e * NAF_ID_MAX), out, p, nl);
        short bl = (short) (btidLen[e] & 0xFF);
        out[p++] = (byte) 0x81;
        out[p++] = (byte) bl;
        Util.arrayCopyNonAtomic(btids, (short) (e * BTID_MAX), out, p, bl);
    }

    void write(DataOutput out) throws IOException {
        out.writeBoolean(bootstrapped);
        out.write(ks);
        out.write(rand);
        out.write(nafIds);
        out.write(nafIdLen);
        out.write(btids);
        out.write(btidLen);
        out.write(keys);
        for (short e = 0; e < ENTRIES; e++) {
            out.writeShort(used[e]);
        }
        out.writeShort(clock);
    }

    void read(DataInput in) throws IOException {
        bootstrapped = in.readBoolean();
        in.readFully(ks);
        in.readFully(rand);
        in.readFully(nafIds);
        in.readFully(nafIdLen);
        in.readFully(btids);
        in.readFully(btidLen);
        in.readFully(keys);
        for (short e = 0; e < ENTRIES; e++) {
            used[e] = in.readShort();
        }
        clock = in.readShort();
    }
}
