package org.m2muicc.card.applets.usim;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;

import org.m2muicc.card.applets.common.AdminCode;
import org.m2muicc.card.crypto.Milenage;
import org.m2muicc.card.platform.UiccPlatform;

/**
 * The subscription: lifecycle, EF_IMSI, K and OPc, and their personalisation (USIM.md §4).
 *
 * <p>STORE DATA carries every item of one personalisation step in one command and applies them
 * in one JCSystem transaction (tear point {@code usim-perso} after each item): all or nothing.
 * OP is turned into OPc on the card and never stored.
 */
final class Subscriber {
    static final byte INSTALLED = 0x01;
    static final byte PERSONALISED = 0x03;
    static final byte LOCKED = 0x07;
    static final short IMSI_LENGTH = 9;

    private static final byte TAG_IMSI = (byte) 0xC1;
    private static final byte TAG_SQN = (byte) 0xC2;
    private static final byte TAG_K = (byte) 0xD1;
    private static final byte TAG_OPC = (byte) 0xD2;
    private static final byte TAG_OP = (byte) 0xD3;

    private final byte[] imsi = new byte[IMSI_LENGTH];
    private final byte[] k = new byte[Milenage.K_LENGTH];
    private final byte[] opc = new byte[Milenage.K_LENGTH];
    private boolean locked;
    private boolean hasImsi;
    private boolean hasK;
    private boolean hasOpc;

    private final AdminCode admin;
    private final SqnStore sqn;
    private final GbaStore gba;
    private final Milenage milenage;
    private final byte[] newOpc;

    Subscriber(AdminCode admin, SqnStore sqn, GbaStore gba, Milenage milenage) {
        this.admin = admin;
        this.sqn = sqn;
        this.gba = gba;
        this.milenage = milenage;
        Util.arrayFillNonAtomic(imsi, (short) 0, IMSI_LENGTH, (byte) 0xFF);
        newOpc = JCSystem.makeTransientByteArray(Milenage.K_LENGTH, JCSystem.CLEAR_ON_RESET);
    }

    /** INSTALLED until IMSI, K and OPc are all set, then PERSONALISED, LOCKED after LOCK. */
    byte lifecycle() {
        if (locked) {
            return LOCKED;
        }
        return hasImsi && hasK && hasOpc ? PERSONALISED : INSTALLED;
    }

    boolean ready() {
        return lifecycle() != INSTALLED;
    }

    byte[] k() {
        return k;
    }

    byte[] opc() {
        return opc;
    }

    /** EF_IMSI as stored (FF when not personalised). */
    byte[] imsi() {
        return imsi;
    }

    /**
     * STORE DATA {@code 80 E2 00 00 Lc TLVs}: C1 EF_IMSI (9), D1 K (16), D2 OPc (16) or D3 OP (16),
     * C2 start SQN_MS (6). Checked whole before anything is written.
     */
    void store(byte[] buf, short off, short len) {
        requireOpen();
        short end = (short) (off + len);
        short imsiAt = -1, kAt = -1, opcAt = -1, opAt = -1, sqnAt = -1;
        short p = off;
        while (p < end) {
            if ((short) (p + 2) > end) {
                ISOException.throwIt(UsimSw.WRONG_DATA);
            }
            byte tag = buf[p];
            short l = (short) (buf[(short) (p + 1)] & 0xFF);
            short v = (short) (p + 2);
            if ((short) (v + l) > end) {
                ISOException.throwIt(UsimSw.WRONG_DATA);
            }
            switch (tag) {
                case TAG_IMSI: imsiAt = expect(v, l, IMSI_LENGTH); break;
                case TAG_K: kAt = expect(v, l, Milenage.K_LENGTH); break;
                case TAG_OPC: opcAt = expect(v, l, Milenage.K_LENGTH); break;
                case TAG_OP: opAt = expect(v, l, Milenage.K_LENGTH); break;
                case TAG_SQN: sqnAt = expect(v, l, SqnStore.SQN); break;
                default: ISOException.throwIt(UsimSw.WRONG_DATA);
            }
            p = (short) (v + l);
        }
        if (opcAt >= 0 && opAt >= 0) {
            ISOException.throwIt(UsimSw.WRONG_DATA);
        }
        if (opAt >= 0) {
            if (kAt < 0 && !hasK) {
                ISOException.throwIt(UsimSw.CONDITIONS); // OPc = OP xor E_K(OP) needs K
            }
            milenage.opc(kAt >= 0 ? buf : k, kAt >= 0 ? kAt : 0, buf, opAt, newOpc, (short) 0);
        } else if (opcAt >= 0) {
            Util.arrayCopyNonAtomic(buf, opcAt, newOpc, (short) 0, Milenage.K_LENGTH);
        }
        JCSystem.beginTransaction();
        if (imsiAt >= 0) {
            Util.arrayCopy(buf, imsiAt, imsi, (short) 0, IMSI_LENGTH);
            hasImsi = true;
            UiccPlatform.tearPoint("usim-perso");
        }
        if (kAt >= 0 || opcAt >= 0 || opAt >= 0) {
            gba.clear(); // a Ks or Ks_int_NAF of other keys means nothing now
        }
        if (kAt >= 0) {
            Util.arrayCopy(buf, kAt, k, (short) 0, Milenage.K_LENGTH);
            hasK = true;
            UiccPlatform.tearPoint("usim-perso");
        }
        if (opcAt >= 0 || opAt >= 0) {
            Util.arrayCopy(newOpc, (short) 0, opc, (short) 0, Milenage.K_LENGTH);
            hasOpc = true;
            UiccPlatform.tearPoint("usim-perso");
        }
        if (sqnAt >= 0) {
            sqn.start(buf, sqnAt);
            UiccPlatform.tearPoint("usim-perso");
        }
        JCSystem.commitTransaction();
        Util.arrayFillNonAtomic(newOpc, (short) 0, Milenage.K_LENGTH, (byte) 0);
    }

    /** LOCK {@code 80 E8 02 00}: PERSONALISED -> LOCKED. */
    void lock() {
        requireOpen();
        if (lifecycle() != PERSONALISED) {
            ISOException.throwIt(UsimSw.CONDITIONS);
        }
        locked = true; // one persistent field: an atomic write, no transaction needed
    }

    /** Personalisation needs an unlocked card (6985) and VERIFY ADMIN on this channel (6982). */
    private void requireOpen() {
        if (locked) {
            ISOException.throwIt(UsimSw.CONDITIONS);
        }
        if (!admin.isAuthenticated()) {
            ISOException.throwIt(UsimSw.SECURITY_STATUS);
        }
    }

    private static short expect(short v, short l, short wanted) {
        if (l != wanted) {
            ISOException.throwIt(UsimSw.WRONG_DATA);
        }
        return v;
    }

    void write(DataOutput out) throws IOException {
        out.writeByte(lifecycle()); // the image keeps the lifecycle byte
        out.writeBoolean(hasImsi);
        out.writeBoolean(hasK);
        out.writeBoolean(hasOpc);
        out.write(imsi);
        out.write(k);
        out.write(opc);
    }

    void read(DataInput in) throws IOException {
        locked = in.readByte() == LOCKED;
        hasImsi = in.readBoolean();
        hasK = in.readBoolean();
        hasOpc = in.readBoolean();
        in.readFully(imsi);
        in.readFully(k);
        in.readFully(opc);
    }
}
