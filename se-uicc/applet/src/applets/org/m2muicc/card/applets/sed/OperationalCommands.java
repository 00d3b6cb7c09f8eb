package org.m2muicc.card.applets.sed;

import org.m2muicc.card.applets.common.SedSw;

import javacard.framework.AID;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Shareable;
import javacard.framework.Util;

import org.m2muicc.card.applets.channel.InnerApdu;
import org.m2muicc.card.applets.channel.InnerCommands;
import org.m2muicc.card.applets.usim.GbaKeyService;
import org.m2muicc.card.applets.usim.UsimApplet;
import org.m2muicc.card.crypto.CardCrypto;
import org.m2muicc.card.crypto.GbaKdf;
import org.m2muicc.card.platform.UiccPlatform;

/**
 * The operational commands (M2M-SED.md §4), reached only as inner APDUs of a started secure
 * channel: COMPUTE MASTER SECRET (TLS 1.2 PSK master secret from a card-held key), DERIVE
 * EXPORTED KEY (RFC 5705 exporter into a pending key), ACTIVATE KEY, and SET KEY FROM GBA
 * (pending Kmr or Kmc = Ks_int_NAF from the USIM, M2M-SED.md §4.1).
 *
 * <p>Each handler takes the inner command in place and writes its response data to
 * {@code out}; errors are thrown as the inner status word, which the secure channel returns
 * inside the protected response.
 */
final class OperationalCommands implements InnerCommands {
    private static final byte INS_COMPUTE_MASTER_SECRET = 0x40;
    private static final byte INS_DERIVE_EXPORTED_KEY = 0x42;
    private static final byte INS_ACTIVATE_KEY = 0x44;
    private static final byte INS_KEY_FROM_GBA = 0x46;

    /** The USIM whose GbaKeyService gives Ks_int_NAF (USIM.md §6). */
    private static final byte[] USIM_AID = {
        (byte) 0xA0, 0x00, 0x00, 0x00, (byte) 0x87, 0x10, 0x02, (byte) 0xFF, 0x49, (byte) 0xFF, 0x05, (byte) 0x89};
    private static final short KS_NAF_LENGTH = GbaKdf.KEY_LENGTH;

    private static final byte SLOT_KMR = 1;
    private static final byte SLOT_KMC = 2;
    private static final byte SLOT_KBS = 3;
    private static final byte MODE_PLAIN = 0;
    private static final byte MODE_EXTENDED = 1;

    private static final short RANDOMS_LENGTH = 64;
    private static final short MIN_SESSION_HASH = 20;
    private static final short PSK_LENGTH = 32;
    /** RFC 4279 premaster of an N-byte PSK: uint16(N) ‖ N×00 ‖ uint16(N) ‖ PSK. */
    private static final short PREMASTER_LENGTH = (short) (2 + PSK_LENGTH + 2 + PSK_LENGTH);

    private static final byte[] LABEL_MASTER = {
        'm', 'a', 's', 't', 'e', 'r', ' ', 's', 'e', 'c', 'r', 'e', 't'};
    private static final byte[] LABEL_EXTENDED_MASTER = {
        'e', 'x', 't', 'e', 'n', 'd', 'e', 'd', ' ', 'm', 'a', 's', 't', 'e', 'r', ' ',
        's', 'e', 'c', 'r', 'e', 't'};
    private static final byte[] LABEL_BOOTSTRAP = {
        'E', 'X', 'P', 'O', 'R', 'T', 'E', 'R', '-', 'E', 'T', 'S', 'I', '-', 'T', 'C', '-',
        'M', '2', 'M', '-', 'B', 'o', 'o', 't', 's', 't', 'r', 'a', 'p'};
    private static final byte[] LABEL_CONNECTION = {
        'E', 'X', 'P', 'O', 'R', 'T', 'E', 'R', '-', 'E', 'T', 'S', 'I', '-', 'T', 'C', '-',
        'M', '2', 'M', '-', 'C', 'o', 'n', 'n', 'e', 'c', 't', 'i', 'o', 'n'};

    private final SedStore store;
    private final SessionSecrets secrets;
    private final CardCrypto crypto;
    private final byte[] premaster;

    OperationalCommands(SedStore store, SessionSecrets secrets, CardCrypto crypto) {
        this.store = store;
        this.secrets = secrets;
        this.crypto = crypto;
        premaster = JCSystem.makeTransientByteArray(PREMASTER_LENGTH, JCSystem.CLEAR_ON_RESET);
    }

    /** Runs the inner command {@code c[off..off+len)}; returns the response data length. */
    public short run(byte[] c, short off, short len, byte[] out, short outOff) {
        short lc = InnerApdu.lc(c, off, len);
        short data = (short) (off + 5);
        byte ins = c[(short) (off + 1)];
        byte p1 = c[(short) (off + 2)];
        byte p2 = c[(short) (off + 3)];
        if (ins != INS_COMPUTE_MASTER_SECRET && ins != INS_DERIVE_EXPORTED_KEY && ins != INS_ACTIVATE_KEY
                && ins != INS_KEY_FROM_GBA) {
            ISOException.throwIt(SedSw.INS_NOT_SUPPORTED);
        }
        if (!store.operational()) {
            ISOException.throwIt(SedSw.CONDITIONS);
        }
        switch (ins) {
            case INS_COMPUTE_MASTER_SECRET:
                return computeMasterSecret(p1, p2, c, data, lc, out, outOff);
            case INS_DERIVE_EXPORTED_KEY:
                return deriveExportedKey(p1, p2, c, data, lc, out, outOff);
            case INS_KEY_FROM_GBA:
                return keyFromGba(p1, p2, c, data, lc, out, outOff);
            default:
                activateKey(p1, p2, c, data, lc);
                return 0;
        }
    }

    private short computeMasterSecret(byte slot, byte mode, byte[] c, short data, short lc, byte[] out, short outOff) {
        byte field = keyOfSlot(slot);
        if (field < 0 || (mode != MODE_PLAIN && mode != MODE_EXTENDED)) {
            ISOException.throwIt(SedSw.WRONG_P1P2);
        }
        if (mode == MODE_PLAIN ? lc != RANDOMS_LENGTH : (lc < MIN_SESSION_HASH || lc > RANDOMS_LENGTH)) {
            ISOException.throwIt(SedSw.WRONG_LENGTH);
        }
        if (!store.isSet(field)) {
            ISOException.throwIt(SedSw.NOT_FOUND);
        }
        // premaster = uint16(32) ‖ 32×00 ‖ uint16(32) ‖ key
        Util.arrayFillNonAtomic(premaster, (short) 0, PREMASTER_LENGTH, (byte) 0);
        Util.setShort(premaster, (short) 0, PSK_LENGTH);
        Util.setShort(premaster, (short) (2 + PSK_LENGTH), PSK_LENGTH);
        Util.arrayCopyNonAtomic(store.data(), SedStore.offset(field), premaster,
                (short) (4 + PSK_LENGTH), PSK_LENGTH);
        byte[] label = mode == MODE_PLAIN ? LABEL_MASTER : LABEL_EXTENDED_MASTER;
        byte[] s = secrets.data();
        crypto.prf.prf(premaster, (short) 0, PREMASTER_LENGTH, label, (short) 0, (short) label.length,
                c, data, lc, s, SessionSecrets.MASTER, SessionSecrets.MASTER_LENGTH);
        Util.arrayFillNonAtomic(premaster, (short) 0, PREMASTER_LENGTH, (byte) 0);
        secrets.setMasterSlot(slot);
        return Util.arrayCopyNonAtomic(s, SessionSecrets.MASTER, out, outOff, SessionSecrets.MASTER_LENGTH);
    }

    private short deriveExportedKey(byte target, byte p2, byte[] c, short data, short lc, byte[] out, short outOff) {
        requireTarget(target, p2);
        if (lc != RANDOMS_LENGTH) {
            ISOException.throwIt(SedSw.WRONG_LENGTH);
        }
        // Kmr comes from a master secret made with Kbs (bootstrap), Kmc from one made with Kmr.
        byte source = target == SLOT_KMR ? SLOT_KBS : SLOT_KMR;
        if (secrets.masterSlot() != source) {
            ISOException.throwIt(SedSw.CONDITIONS);
        }
        byte[] label = target == SLOT_KMR ? LABEL_BOOTSTRAP : LABEL_CONNECTION;
        byte[] s = secrets.data();
        secrets.clearPending();
        crypto.prf.prf(s, SessionSecrets.MASTER, SessionSecrets.MASTER_LENGTH, label, (short) 0,
                (short) label.length, c, data, lc, s, SessionSecrets.PENDING, SessionSecrets.KEY_LENGTH);
        return pending(target, out, outOff);
    }

    private void activateKey(byte target, byte p2, byte[] c, short data, short lc) {
        requireTarget(target, p2);
        // index (4) ‖ expiry (8) [‖ ConnectionId (8) for Kmc]
        if (lc != (target == SLOT_KMR ? (short) 12 : (short) 20)) {
            ISOException.throwIt(SedSw.WRONG_LENGTH);
        }
        if (secrets.pendingTarget() != target) {
            ISOException.throwIt(SedSw.CONDITIONS);
        }
        boolean kmr = target == SLOT_KMR;
        JCSystem.beginTransaction();
        store.set(kmr ? FieldTable.KMR : FieldTable.KMC, secrets.data(), SessionSecrets.PENDING,
                SessionSecrets.KEY_LENGTH);
        UiccPlatform.tearPoint("activate-key");
        store.set(kmr ? FieldTable.KMR_INDEX : FieldTable.KMC_INDEX, c, data, (short) 4);
        store.set(kmr ? FieldTable.KMR_EXPIRY : FieldTable.KMC_EXPIRY, c, (short) (data + 4), (short) 8);
        if (!kmr) {
            store.set(FieldTable.CONNECTION_ID, c, (short) (data + 12), (short) 8);
        }
        JCSystem.commitTransaction();
        secrets.clearPending();
    }

    /**
     * SET KEY FROM GBA {@code 80 46 P1 00 Lc L NAF_Id ‖ L IMPI}: the USIM runs its NAF derivation
     * for that NAF_Id (through {@link GbaKeyService}) and Ks_int_NAF becomes the *pending* Kmr
     * (P1 01) or Kmc (P1 02), exactly as DERIVE EXPORTED KEY leaves one; the response is
     * Ks_ext_NAF (32) ‖ KCV of the pending key (3), only ever inside the secured response.
     * Index and lifetime come from the NAF over Ua, which needs Ks_ext_NAF first: ACTIVATE KEY
     * makes the pending key active with them, so the old key stays until Ua succeeded. Nothing
     * of this applet's persistent state changes here (a tear leaves the old key and no pending
     * one). No USIM or refused: 6A88; no bootstrap: 6985.
     */
    private short keyFromGba(byte target, byte p2, byte[] c, short data, short lc, byte[] out, short outOff) {
        requireTarget(target, p2);
        short naf = (short) (data + 1);
        if (lc < 2) {
            ISOException.throwIt(SedSw.WRONG_LENGTH);
        }
        short nafLen = (short) (c[data] & 0xFF);
        short impiLenAt = (short) (naf + nafLen);
        if (impiLenAt >= (short) (data + lc)) {
            ISOException.throwIt(SedSw.WRONG_LENGTH);
        }
        short impiLen = (short) (c[impiLenAt] & 0xFF);
        if ((short) (impiLenAt + 1 + impiLen) != (short) (data + lc)) {
            ISOException.throwIt(SedSw.WRONG_LENGTH);
        }
        GbaKeyService usim = usim();
        byte[] s = secrets.data();
        secrets.clearPending();
        // The USIM commits its own Ks_int_NAF entry (its transaction); the key stays transient
        // here until ACTIVATE KEY.
        usim.nafKeys(c, naf, nafLen, (short) (impiLenAt + 1), impiLen, out, outOff, s, SessionSecrets.PENDING);
        return (short) (KS_NAF_LENGTH + pending(target, out, (short) (outOff + KS_NAF_LENGTH)));
    }

    /** P1 names the key a pending key is for (01 Kmr, 02 Kmc) and P2 is 00; else 6A86. */
    private static void requireTarget(byte target, byte p2) {
        if ((target != SLOT_KMR && target != SLOT_KMC) || p2 != 0) {
            ISOException.throwIt(SedSw.WRONG_P1P2);
        }
    }

    /**
     * The key just written at {@link SessionSecrets#PENDING} is now pending for {@code target}
     * (what ACTIVATE KEY takes); writes its KCV to {@code out} and returns the KCV's length.
     */
    private short pending(byte target, byte[] out, short outOff) {
        secrets.setPendingTarget(target);
        short n = crypto.kcv.compute(secrets.data(), SessionSecrets.PENDING, SessionSecrets.KEY_LENGTH,
                out, outOff);
        crypto.aes.clearKeys();
        return n;
    }

    /** The USIM's GbaKeyService, which it grants to this applet's AID only; 6A88 otherwise. */
    private static GbaKeyService usim() {
        AID aid = JCSystem.lookupAID(USIM_AID, (short) 0, (byte) USIM_AID.length);
        Shareable sio = aid == null ? null
                : JCSystem.getAppletShareableInterfaceObject(aid, UsimApplet.GBA_KEY_SERVICE);
        if (!(sio instanceof GbaKeyService)) {
            ISOException.throwIt(SedSw.NOT_FOUND);
        }
        return (GbaKeyService) sio;
    }

    /** The key field of a COMPUTE MASTER SECRET slot (01 Kmr, 02 Kmc, 03 Kbs), or -1. */
    private static byte keyOfSlot(byte slot) {
        switch (slot) {
            case SLOT_KMR: return FieldTable.KMR;
            case SLOT_KMC: return FieldTable.KMC;
            case SLOT_KBS: return FieldTable.KBS;
            default: return -1;
        }
    }
}
