package org.m2muicc.card.applets.ivsed;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

import javacard.framework.APDU;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;

import org.m2muicc.card.applets.channel.ManageSecureChannel;
import org.m2muicc.card.applets.channel.SaOperations;
import org.m2muicc.card.applets.channel.SecureChannel;
import org.m2muicc.card.applets.channel.SedDomainApplet;
import org.m2muicc.card.applets.channel.TransactData;
import org.m2muicc.card.applets.common.AdminCode;
import org.m2muicc.card.applets.common.Apdus;
import org.m2muicc.card.applets.common.SedSw;
import org.m2muicc.card.crypto.CardCrypto;
import org.m2muicc.card.crypto.EcdsaP256;
import org.m2muicc.card.platform.PersistentState;

/**
 * The Integrity Validation Secured Environment Domain ("IV-SED", AID F04D324D49565301): the card
 * side of {@code se-uicc/applet/IV-SED.md}. Holds the reference-value and policy verification
 * keys and its own attestation key, checks signed manifests, records the terminal's measurements
 * against them and signs integrity reports, reached through its own TS 102 484 endpoint (the
 * classes of {@code applets.channel}, keyed by Kmsa_iv and this AID).
 *
 * <p>Routing only; the parts: {@link IvPersonalisation} (over {@link AdminCode} and
 * {@link IvStore}), {@link IvPublicData}, and {@link IvCommands} inside the channel.
 * Install parameters: the 8-byte administrative code.
 */
public final class IvSedApplet extends SedDomainApplet implements PersistentState {
    private static final int STATE_VERSION = 1;

    private static final byte INS_GENERATE_KEY = 0x48;

    private final IvStore store;
    private final AdminCode admin;
    private final SecureChannel channel;
    private final IvPersonalisation personalisation;
    private final IvPublicData publicData;

    private IvSedApplet(byte[] install, short aidOff, short aidLen, short paramsOff) {
        CardCrypto crypto = new CardCrypto();
        EcdsaP256 ecdsa = new EcdsaP256();
        store = new IvStore();
        admin = new AdminCode(install, paramsOff);
        channel = new SecureChannel(crypto, null);
        IvCommands commands = new IvCommands(store, ecdsa);
        personalisation = new IvPersonalisation(store, admin, channel, ecdsa);
        publicData = new IvPublicData(store, admin, crypto.kcv, commands.digest());
        route(admin, new ManageSecureChannel(new SaOperations(store, channel, crypto, install, aidOff, aidLen)),
                new TransactData(channel, crypto, commands));
    }

    /** Install data {@code [aidLen][AID][ctrlLen][ctrl][len][params]}; params = the admin code. */
    public static void install(byte[] bArray, short bOffset, byte bLength) {
        short params = AdminCode.installParams(bArray, bOffset);
        short aidLen = (short) (bArray[bOffset] & 0xFF);
        IvSedApplet applet = new IvSedApplet(bArray, (short) (bOffset + 1), aidLen, params);
        applet.register(bArray, (short) (bOffset + 1), (byte) aidLen);
    }

    protected void storeData(APDU apdu) {
        personalisation.storeData(apdu);
    }

    protected void commit(APDU apdu) {
        personalisation.commit(apdu);
    }

    protected void processOther(APDU apdu, byte ins, boolean interindustry) {
        switch (ins) {
            case INS_GENERATE_KEY:
                requireClass(interindustry, false);
                personalisation.generateAttestationKey(apdu);
                return;
            case 0x50: // LOAD BLOCK .. VERIFY DECISION: only inside the secure channel
            case 0x52:
            case 0x54:
            case 0x56:
            case 0x58:
            case 0x5A:
                requireClass(interindustry, false);
                ISOException.throwIt(SedSw.SECURITY_STATUS);
                return;
            default:
                ISOException.throwIt(SedSw.INS_NOT_SUPPORTED);
        }
    }

    /** GET DATA {@code 80 CA 00 FF Le}. */
    protected void getData(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        if (buf[ISO7816.OFFSET_P1] != 0 || buf[ISO7816.OFFSET_P2] != (byte) 0xFF) {
            ISOException.throwIt(SedSw.WRONG_P1P2);
        }
        short len = publicData.write(buf, (short) 0);
        Apdus.send(apdu, buf, (short) 0, len);
    }

    // --- PersistentState ------------------------------------------------------------------

    public int stateVersion() {
        return STATE_VERSION;
    }

    public void writeState(DataOutput out) throws IOException {
        admin.write(out);
        store.write(out);
        channel.master.write(out);
    }

    public void readState(DataInput in, int version) throws IOException {
        if (version != STATE_VERSION) {
            throw new IOException("IV-SED state version " + version + " not supported");
        }
        admin.read(in);
        store.read(in);
        channel.master.read(in);
    }
}
