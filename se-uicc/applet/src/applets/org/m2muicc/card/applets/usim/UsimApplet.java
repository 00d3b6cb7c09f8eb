package org.m2muicc.card.applets.usim;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

import javacard.framework.AID;
import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.Shareable;

import org.m2muicc.card.applets.common.AdminCode;
import org.m2muicc.card.applets.common.Apdus;
import org.m2muicc.card.crypto.Aes;
import org.m2muicc.card.crypto.GbaKdf;
import org.m2muicc.card.crypto.Milenage;
import org.m2muicc.card.platform.PersistentState;

/**
 * The USIM (AID A0000000871002FF49FF0589: the 3GPP USIM RID and application code with this
 * project's PIX): the card side of {@code se-uicc/applet/USIM.md}. MILENAGE AKA in 3G and GBA
 * context, SQN freshness, GBA_U (Ks, Ks_int_NAF per NAF_Id), EF_IMSI, EF_GBABP, EF_GBANL,
 * personalisation, and the {@link GbaKeyService} the M2M-SED uses to make Kmr/Kmc = Ks_int_NAF.
 *
 * <p>This class routes commands; the parts are {@link Authenticate}, {@link Subscriber},
 * {@link SqnStore}, {@link GbaStore} and {@link UsimFiles}.
 * Install parameters: the 8-byte administrative code.
 */
public final class UsimApplet extends Applet implements PersistentState {
    private static final int STATE_VERSION = 1;

    /** The only client of {@link GbaKeyService}: the M2M-SED. */
    private static final byte[] M2M_SED_AID = {(byte) 0xF0, 0x4D, 0x32, 0x4D, 0x53, 0x45, 0x44, 0x01};
    /** getShareableInterfaceObject parameter naming {@link GbaKeyService}. */
    public static final byte GBA_KEY_SERVICE = 0x01;

    private static final byte INS_SELECT = (byte) 0xA4;
    private static final byte INS_READ_BINARY = (byte) 0xB0;
    private static final byte INS_UPDATE_BINARY = (byte) 0xD6;
    private static final byte INS_READ_RECORD = (byte) 0xB2;
    private static final byte INS_AUTHENTICATE = (byte) 0x88;
    private static final byte INS_VERIFY = 0x20;
    private static final byte INS_STORE_DATA = (byte) 0xE2;
    private static final byte INS_LOCK = (byte) 0xE8;
    private static final byte INS_GET_DATA = (byte) 0xCA;

    private final AdminCode admin;
    private final Subscriber subscriber;
    private final SqnStore sqn;
    private final GbaStore gba;
    private final UsimFiles files;
    private final Authenticate authenticate;

    private UsimApplet(byte[] install, short paramsOff) {
        Aes aes = new Aes();
        Milenage milenage = new Milenage(aes);
        admin = new AdminCode(install, paramsOff);
        sqn = new SqnStore();
        files = new UsimFiles();
        gba = new GbaStore(new GbaKdf(), files);
        subscriber = new Subscriber(admin, sqn, gba, milenage);
        files.bind(subscriber, gba);
        authenticate = new Authenticate(subscriber, sqn, gba, milenage);
    }

    /** {@code [aidLen][AID][ctrlLen][ctrl][len][params]}, params = the admin code (8 bytes). */
    public static void install(byte[] bArray, short bOffset, byte bLength) {
        short params = AdminCode.installParams(bArray, bOffset);
        new UsimApplet(bArray, params).register(bArray, (short) (bOffset + 1), bArray[bOffset]);
    }

    public boolean select() {
        files.adfSelected();
        return true;
    }

    public void deselect() {
        admin.forget();
    }

    /** The firewall rule of USIM.md §6: GbaKeyService for the M2M-SED's AID only. */
    public Shareable getShareableInterfaceObject(AID clientAID, byte parameter) {
        if (parameter != GBA_KEY_SERVICE || clientAID == null
                || !clientAID.equals(M2M_SED_AID, (short) 0, (byte) M2M_SED_AID.length)) {
            return null;
        }
        return gba;
    }

    public void process(APDU apdu) {
        if (selectingApplet()) {
            return;
        }
        byte[] buf = apdu.getBuffer();
        byte cla = buf[ISO7816.OFFSET_CLA];
        boolean proprietary;
        if (cla == 0x00) {
            proprietary = false;
        } else if (cla == (byte) 0x80) {
            proprietary = true;
        } else {
            ISOException.throwIt(UsimSw.CLA_NOT_SUPPORTED);
            return;
        }
        byte ins = buf[ISO7816.OFFSET_INS];
        switch (ins) {
            case INS_SELECT:
                requireClass(proprietary, false);
                files.select(apdu);
                return;
            case INS_READ_BINARY:
                requireClass(proprietary, false);
                files.readBinary(apdu);
                return;
            case INS_UPDATE_BINARY:
                requireClass(proprietary, false);
                files.updateBinary(apdu);
                return;
            case INS_READ_RECORD:
                requireClass(proprietary, false);
                files.readRecord(apdu);
                return;
            case INS_AUTHENTICATE:
                requireClass(proprietary, false);
                authenticate.process(apdu);
                return;
            case INS_VERIFY:
                requireClass(proprietary, false);
                admin.verify(apdu);
                return;
            case INS_STORE_DATA:
                requireClass(proprietary, true);
                if (buf[ISO7816.OFFSET_P1] != 0 || buf[ISO7816.OFFSET_P2] != 0) {
                    ISOException.throwIt(UsimSw.WRONG_P1P2);
                }
                short n = Apdus.receiveAll(apdu);
                subscriber.store(buf, apdu.getOffsetCdata(), n);
                return;
            case INS_LOCK:
                requireClass(proprietary, true);
                if (buf[ISO7816.OFFSET_P1] != 0x02 || buf[ISO7816.OFFSET_P2] != 0) {
                    ISOException.throwIt(UsimSw.WRONG_P1P2);
                }
                subscriber.lock();
                return;
            case INS_GET_DATA:
                requireClass(proprietary, true);
                getData(apdu);
                return;
            default:
                ISOException.throwIt(UsimSw.INS_NOT_SUPPORTED);
        }
    }

    private static void requireClass(boolean proprietary, boolean wanted) {
        if (proprietary != wanted) {
            ISOException.throwIt(UsimSw.CLA_NOT_SUPPORTED);
        }
    }

    /** GET DATA {@code 80 CA 00 FF}: C0 lifecycle, CF admin tries, C1 SQN_MS (not secret). */
    private void getData(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        if (buf[ISO7816.OFFSET_P1] != 0 || buf[ISO7816.OFFSET_P2] != (byte) 0xFF) {
            ISOException.throwIt(UsimSw.WRONG_P1P2);
        }
        buf[0] = (byte) 0xC0;
        buf[1] = 1;
        buf[2] = subscriber.lifecycle();
        buf[3] = (byte) 0xCF;
        buf[4] = 1;
        buf[5] = admin.triesRemaining();
        buf[6] = (byte) 0xC1;
        buf[7] = (byte) SqnStore.SQN;
        javacard.framework.Util.arrayCopyNonAtomic(sqn.sqnMs(), (short) 0, buf, (short) 8, SqnStore.SQN);
        Apdus.send(apdu, buf, (short) 0, (short) (8 + SqnStore.SQN));
    }

    // --- PersistentState ------------------------------------------------------------------

    public int stateVersion() {
        return STATE_VERSION;
    }

    public void writeState(DataOutput out) throws IOException {
        admin.write(out);
        subscriber.write(out);
        sqn.write(out);
        gba.write(out);
        files.write(out);
    }

    public void readState(DataInput in, int version) throws IOException {
        if (version != STATE_VERSION) {
            throw new IOException("USIM state version " + version + " not supported");
        }
        admin.read(in);
        subscriber.read(in);
        sqn.read(in);
        gba.read(in);
        files.read(in);
    }
}
