package org.m2muicc.card.applets.channel;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;

import org.m2muicc.card.applets.common.AdminCode;
import org.m2muicc.card.applets.common.SedSw;

/**
 * The routing both secured environment domains (M2M-SED, IV-SED) share: the class byte decides
 * between interindustry (00/40: VERIFY, MANAGE SECURE CHANNEL, TRANSACT DATA) and proprietary
 * (80/C0: STORE DATA, COMMIT, GET DATA and the domain's own commands), so one command can never
 * be reached under the other class. A subclass calls {@link #route} once from its constructor
 * and adds only its own INS cases in {@link #processOther}.
 */
public abstract class SedDomainApplet extends Applet {
    private static final byte INS_VERIFY = 0x20;
    private static final byte INS_STORE_DATA = (byte) 0xE2;
    private static final byte INS_COMMIT = (byte) 0xE8;
    private static final byte INS_GET_DATA = (byte) 0xCA;
    private static final byte INS_MANAGE_SECURE_CHANNEL = 0x73;
    private static final byte INS_TRANSACT_DATA = 0x75;

    private AdminCode admin;
    private ManageSecureChannel manageSecureChannel;
    private TransactData transactData;

    /** The shared endpoints; once, from the subclass constructor. */
    protected final void route(AdminCode admin, ManageSecureChannel manageSecureChannel, TransactData transactData) {
        this.admin = admin;
        this.manageSecureChannel = manageSecureChannel;
        this.transactData = transactData;
    }

    /** STORE DATA {@code 80 E2}. */
    protected abstract void storeData(APDU apdu);

    /** COMMIT / LOCK {@code 80 E8}. */
    protected abstract void commit(APDU apdu);

    /** GET DATA {@code 80 CA}. */
    protected abstract void getData(APDU apdu);

    /** Any other INS; must end in an ISOException (6D00 when unknown) or a response. */
    protected abstract void processOther(APDU apdu, byte ins, boolean interindustry);

    public final void process(APDU apdu) {
        if (selectingApplet()) {
            return;
        }
        byte[] buf = apdu.getBuffer();
        byte cla = buf[ISO7816.OFFSET_CLA];
        boolean interindustry;
        if (cla == 0x00 || cla == 0x40) {
            interindustry = true;
        } else if (cla == (byte) 0x80 || cla == (byte) 0xC0) {
            interindustry = false;
        } else {
            ISOException.throwIt(SedSw.CLA_NOT_SUPPORTED);
            return;
        }
        byte ins = buf[ISO7816.OFFSET_INS];
        switch (ins) {
            case INS_VERIFY:
                requireClass(interindustry, true);
                admin.verify(apdu);
                return;
            case INS_MANAGE_SECURE_CHANNEL:
                requireClass(interindustry, true);
                manageSecureChannel.process(apdu);
                return;
            case INS_TRANSACT_DATA:
                requireClass(interindustry, true);
                transactData.process(apdu);
                return;
            case INS_STORE_DATA:
                requireClass(interindustry, false);
                storeData(apdu);
                return;
            case INS_COMMIT:
                requireClass(interindustry, false);
                commit(apdu);
                return;
            case INS_GET_DATA:
                requireClass(interindustry, false);
                getData(apdu);
                return;
            default:
                processOther(apdu, ins, interindustry);
        }
    }

    public void deselect() {
        admin.forget();
    }

    /** 6E00 unless the command came under the class it belongs to. */
    protected static void requireClass(boolean interindustry, boolean wanted) {
        if (interindustry != wanted) {
            ISOException.throwIt(SedSw.CLA_NOT_SUPPORTED);
        }
    }
}
