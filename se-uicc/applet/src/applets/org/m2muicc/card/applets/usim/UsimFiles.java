package org.m2muicc.card.applets.usim;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

import javacard.framework.APDU;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;

import org.m2muicc.card.applets.common.Apdus;
import org.m2muicc.card.platform.UiccPlatform;

/**
 * The USIM's own EFs under its ADF (USIM.md §5), the part of TS 31.102 this project needs:
 * EF_IMSI 6F07 (transparent, 9 bytes, read only), EF_GBABP 6FD6 (transparent, written by the
 * terminal after a bootstrap: {@code L RAND L B-TID L lifetime}, FF-padded), EF_GBANL 6FDA
 * (linear fixed, read only, a view of the Ks_int_NAF entries). SELECT by FID or by path ending in
 * one of them, READ BINARY, UPDATE BINARY (EF_GBABP only), READ RECORD (absolute mode).
 * The selected EF is per logical channel; selecting the ADF forgets it.
 */
final class UsimFiles {
    static final short FID_IMSI = 0x6F07;
    static final short FID_GBABP = 0x6FD6;
    static final short FID_GBANL = 0x6FDA;
    static final short GBABP_SIZE = 160;

    private static final byte NONE = 0;
    private static final byte IMSI = 1;
    private static final byte GBABP = 2;
    private static final byte GBANL = 3;
    private static final short CHANNELS = 20;
    private static final byte P2_NO_DATA = 0x0C;

    private final byte[] gbabp = new byte[GBABP_SIZE];
    private final byte[] current;
    private Subscriber subscriber;
    private GbaStore gba;

    UsimFiles() {
        Util.arrayFillNonAtomic(gbabp, (short) 0, GBABP_SIZE, (byte) 0xFF);
        current = JCSystem.makeTransientByteArray(CHANNELS, JCSystem.CLEAR_ON_RESET);
    }

    void bind(Subscriber s, GbaStore g) {
        subscriber = s;
        gba = g;
    }

    /** The ADF was selected on this channel: no EF is current. */
    void adfSelected() {
        current[channel()] = NONE;
    }

    void select(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        byte p1 = buf[ISO7816.OFFSET_P1];
        byte p2 = buf[ISO7816.OFFSET_P2];
        if (p2 != P2_NO_DATA && p2 != 0x04 && p2 != 0x00) {
            ISOException.throwIt(UsimSw.WRONG_P1P2);
        }
        short lc = Apdus.receiveAll(apdu);
        short d = apdu.getOffsetCdata();
        if (p1 != 0x00 && p1 != 0x08 && p1 != 0x09) {
            ISOException.throwIt(UsimSw.WRONG_P1P2);
        }
        if (lc < 2 || (lc & 1) != 0) {
            ISOException.throwIt(UsimSw.WRONG_LENGTH);
        }
        short fid = Util.getShort(buf, (short) (d + lc - 2));
        byte file;
        if (fid == FID_IMSI) {
            file = IMSI;
        } else if (fid == FID_GBABP) {
            file = GBABP;
        } else if (fid == FID_GBANL) {
            file = GBANL;
        } else {
            ISOException.throwIt(UsimSw.FILE_NOT_FOUND);
            return;
        }
        current[channel()] = file;
        if (p2 == P2_NO_DATA) {
            return;
        }
        short n = fcp(file, fid, buf, (short) 0);
        Apdus.send(apdu, buf, (short) 0, n);
    }

    /** FCP: 62 L 82 (descriptor) 83 (FID) 80 (size) 8A 05 (operational, activated). */
    private short fcp(byte file, short fid, byte[] b, short off) {
        short p = (short) (off + 2);
        b[p++] = (byte) 0x82;
        if (file == GBANL) {
            b[p++] = 5;
            b[p++] = 0x42; // linear fixed, not shareable
            b[p++] = 0x21;
            p = Util.setShort(b, p, GbaStore.GBANL_RECORD);
            b[p++] = (byte) GbaStore.ENTRIES;
        } else {
            b[p++] = 2;
            b[p++] = 0x41; // transparent
            b[p++] = 0x21;
        }
        b[p++] = (byte) 0x83;
        b[p++] = 2;
        p = Util.setShort(b, p, fid);
        b[p++] = (byte) 0x80;
        b[p++] = 2;
        p = Util.setShort(b, p, size(file));
        b[p++] = (byte) 0x8A;
        b[p++] = 1;
        b[p++] = 0x05;
        b[off] = 0x62;
        b[(short) (off + 1)] = (byte) (p - off - 2);
        return (short) (p - off);
    }

    private short size(byte file) {
        switch (file) {
            case IMSI: return Subscriber.IMSI_LENGTH;
            case GBABP: return GBABP_SIZE;
            default: return (short) (GbaStore.ENTRIES * GbaStore.GBANL_RECORD);
        }
    }

    /** READ BINARY {@code 00 B0 offset Le}: up to Le bytes from the offset (SFI not supported). */
    void readBinary(APDU apdu) {
        byte file = transparent();
        byte[] buf = apdu.getBuffer();
        short offset = Util.getShort(buf, ISO7816.OFFSET_P1);
        if (offset < 0) {
            ISOException.throwIt(UsimSw.WRONG_P1P2); // b8 of P1: SFI, not supported
        }
        short size = size(file);
        if (offset >= size) {
            ISOException.throwIt(UsimSw.OFFSET_OUT_OF_FILE);
        }
        short ne = apdu.setOutgoing();
        short n = (short) (size - offset);
        if (ne < n) {
            n = ne;
        }
        byte[] src = file == IMSI ? subscriber.imsi() : gbabp;
        apdu.setOutgoingLength(n);
        apdu.sendBytesLong(src, offset, n);
    }

    /** UPDATE BINARY {@code 00 D6 offset Lc data}: EF_GBABP only (EF_IMSI needs ADM: 6982). */
    void updateBinary(APDU apdu) {
        byte file = transparent();
        if (file != GBABP) {
            ISOException.throwIt(UsimSw.SECURITY_STATUS);
        }
        byte[] buf = apdu.getBuffer();
        short offset = Util.getShort(buf, ISO7816.OFFSET_P1);
        if (offset < 0) {
            ISOException.throwIt(UsimSw.WRONG_P1P2);
        }
        short lc = Apdus.receiveAll(apdu);
        if (offset >= GBABP_SIZE || (short) (offset + lc) > GBABP_SIZE) {
            ISOException.throwIt(UsimSw.OFFSET_OUT_OF_FILE);
        }
        JCSystem.beginTransaction();
        Util.arrayCopy(buf, apdu.getOffsetCdata(), gbabp, offset, lc);
        UiccPlatform.tearPoint("usim-gbabp");
        JCSystem.commitTransaction();
    }

    /** READ RECORD {@code 00 B2 n 04 Le}: EF_GBANL record n. */
    void readRecord(APDU apdu) {
        byte file = current[channel()];
        if (file == NONE) {
            ISOException.throwIt(UsimSw.NO_EF_SELECTED);
        }
        if (file != GBANL) {
            ISOException.throwIt(UsimSw.WRONG_STRUCTURE);
        }
        byte[] buf = apdu.getBuffer();
        if (buf[ISO7816.OFFSET_P2] != 0x04) {
            ISOException.throwIt(UsimSw.WRONG_P1P2);
        }
        short n = (short) (buf[ISO7816.OFFSET_P1] & 0xFF);
        if (n < 1 || n > GbaStore.ENTRIES) {
            ISOException.throwIt(UsimSw.RECORD_NOT_FOUND);
        }
        gba.gbanlRecord(n, buf, (short) 0);
        Apdus.send(apdu, buf, (short) 0, GbaStore.GBANL_RECORD);
    }

    /**
     * The B-TID EF_GBABP holds for this RAND, copied to {@code out} (at most {@code max} bytes);
     * 0 when EF_GBABP names another bootstrap or is malformed.
     */
    short btidOf(byte[] rand, short randOff, byte[] out, short outOff, short max) {
        short lr = (short) (gbabp[0] & 0xFF);
        if (lr != 16 || Util.arrayCompare(gbabp, (short) 1, rand, randOff, lr) != 0) {
            return 0;
        }
        short lb = (short) (gbabp[17] & 0xFF);
        if (lb > max || (short) (18 + lb) > GBABP_SIZE) {
            return 0;
        }
        Util.arrayCopy(gbabp, (short) 18, out, outOff, lb);
        return lb;
    }

    private byte transparent() {
        byte file = current[channel()];
        if (file == NONE) {
            ISOException.throwIt(UsimSw.NO_EF_SELECTED);
        }
        if (file == GBANL) {
            ISOException.throwIt(UsimSw.WRONG_STRUCTURE);
        }
        return file;
    }

    private static short channel() {
        short ch = UiccPlatform.currentChannel();
        return ch >= 0 && ch < CHANNELS ? ch : 0;
    }

    void write(DataOutput out) throws IOException {
        out.write(gbabp);
    }

    void read(DataInput in) throws IOException {
        in.readFully(gbabp);
    }
}
