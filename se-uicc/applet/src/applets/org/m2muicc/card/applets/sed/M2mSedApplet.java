package org.m2muicc.card.applets.sed;

import org.m2muicc.card.applets.common.SedSw;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

import javacard.framework.APDU;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.Util;
import javacardx.apdu.ExtendedLength;

import org.m2muicc.card.applets.common.AdminCode;
import org.m2muicc.card.applets.channel.ManageSecureChannel;
import org.m2muicc.card.applets.channel.SaOperations;
import org.m2muicc.card.applets.channel.SecureChannel;
import org.m2muicc.card.applets.channel.SedDomainApplet;
import org.m2muicc.card.applets.channel.TransactData;
import org.m2muicc.card.applets.common.Apdus;
import org.m2muicc.card.crypto.CardCrypto;
import org.m2muicc.card.platform.PersistentState;

/**
 * The M2M Secured Environment Domain ("M2M-SED", AID F04D324D53454401): the card side of
 * {@code se-uicc/applet/M2M-SED.md}. Holds the M2M keys (Kmr, Kmc, Kbs, Kmsa, Kiv) and their
 * parameters, computes with them on behalf of the terminal, and is the application-level
 * endpoint of the TS 102 484 secure channel through which those computations are reached.
 *
 * <p>This class only routes commands and ties the parts together:
 * <ul>
 *   <li>{@link Personalisation} (VERIFY ADMIN, STORE DATA, COMMIT, LOCK) over {@link AdminCode},
 *       {@link Staging} and {@link SedStore};</li>
 *   <li>{@link PublicData} (GET DATA);</li>
 *   <li>{@link ManageSecureChannel} and {@link TransactData}, the secure channel over
 *       the shared TS 102 484 endpoint of package {@code applets.channel};</li>
 *   <li>{@link OperationalCommands}, reachable only from inside the channel.</li>
 * </ul>
 *
 * <p>Install parameters: the 8-byte administrative code (anything else: 6A80). The UICC_ID of the
 * secure channel is EF_ICCID, which {@link SaOperations} reads from the platform.
 * Extended length is accepted for GET DATA, whose response can exceed 256 bytes.
 */
public final class M2mSedApplet extends SedDomainApplet implements ExtendedLength, PersistentState {
    private static final int STATE_VERSION = 1;

    private static final byte INS_COMPUTE_MASTER_SECRET = 0x40;
    private static final byte INS_DERIVE_EXPORTED_KEY = 0x42;
    private static final byte INS_ACTIVATE_KEY = 0x44;
    private static final byte INS_KEY_FROM_GBA = 0x46;

    private final SedStore store;
    private final AdminCode admin;
    private final SecureChannel channel;
    private final Personalisation personalisation;
    private final PublicData publicData;

    private M2mSedApplet(byte[] install, short aidOff, short aidLen, short paramsOff) {
        CardCrypto crypto = new CardCrypto();
        store = new SedStore();
        admin = new AdminCode(install, paramsOff);
        SessionSecrets secrets = new SessionSecrets();
        channel = new SecureChannel(crypto, secrets);
        personalisation = new Personalisation(store, new Staging(), admin, channel);
        publicData = new PublicData(store, admin, crypto.kcv);
        route(admin, new ManageSecureChannel(new SaOperations(store, channel, crypto, install, aidOff, aidLen)),
                new TransactData(channel, crypto, new OperationalCommands(store, secrets, crypto)));
    }

    /**
     * GlobalPlatform-style install data {@code [aidLen][AID][ctrlLen][ctrl][len][params]};
     * params = the admin code (8 bytes). Anything else: 6A80, nothing installed.
     */
    public static void install(byte[] bArray, short bOffset, byte bLength) {
        short params = AdminCode.installParams(bArray, bOffset);
        short aidLen = (short) (bArray[bOffset] & 0xFF);
        M2mSedApplet applet = new M2mSedApplet(bArray, (short) (bOffset + 1), aidLen, params);
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
            case INS_COMPUTE_MASTER_SECRET:
            case INS_DERIVE_EXPORTED_KEY:
            case INS_ACTIVATE_KEY:
            case INS_KEY_FROM_GBA:
                requireClass(interindustry, false);
                ISOException.throwIt(SedSw.SECURITY_STATUS); // only inside the secure channel
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
        publicData.write(buf, (short) 0);
        Apdus.send(apdu, buf, (short) 0, publicData.length());
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
            throw new IOException("M2M-SED state version " + version + " not supported");
        }
        admin.read(in);
        store.read(in);
        channel.master.read(in);
    }
}
