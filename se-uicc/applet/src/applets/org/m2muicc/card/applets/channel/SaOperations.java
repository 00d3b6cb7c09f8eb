package org.m2muicc.card.applets.channel;

import org.m2muicc.card.applets.common.SedSw;
import org.m2muicc.card.applets.common.Tlv;

import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import org.m2muicc.card.platform.UiccPlatform;

import org.m2muicc.card.crypto.Aes;
import org.m2muicc.card.crypto.CardCrypto;

/**
 * The five MANAGE SECURE CHANNEL operations (M2M-SED.md §5), once chaining has delivered the
 * '73' value: retrieve endpoints, master SA, connection SA, start, terminate. Each returns the
 * length of its '73' response (0 for none) or throws the status word the contract names.
 */
public final class SaOperations {
    static final byte RETRIEVE_ENDPOINTS = 0;
    static final byte MASTER_SA = 1;
    static final byte CONNECTION_SA = 2;
    static final byte START = 3;
    static final byte TERMINATE = 4;

    private static final byte TAG_MSC = (byte) 0x73;
    private static final byte TAG_TERMINAL_ID = (byte) 0x80;
    private static final byte TAG_TERMINAL_APPLI_ID = (byte) 0x81;
    private static final byte TAG_ENDPOINT = (byte) 0x82;
    private static final byte TAG_UICC_ID = (byte) 0x83;
    private static final byte TAG_UICC_APPLI_ID = (byte) 0x84;
    private static final byte TAG_KEY_AGREEMENT = (byte) 0x87;
    private static final byte TAG_MSA_ID = (byte) 0x88;
    private static final byte TAG_ALGORITHMS = (byte) 0x89;
    private static final byte TAG_TERMINAL_NONCE = (byte) 0x8A;
    private static final byte TAG_CSA_ID = (byte) 0x8B;
    private static final byte TAG_UICC_NONCE = (byte) 0x8C;
    private static final byte TAG_SSCMAC = (byte) 0x8D;
    private static final byte TAG_CONTAINER = (byte) 0x8E;

    static final short ICCID_LENGTH = 10;
    private static final short MAX_IDENTITY = 32;
    private static final short MIN_CONTAINER = 32;
    private static final short MAC_LENGTH = 16;

    /** Endpoint: application-level, APDU interface, APDU secure channel (1 CSA), strong PSK
     *  proprietary pre-agreed, container up to 255 bytes, port 0000; then the AID. */
    private static final byte[] ENDPOINT = {0x02, 0x01, 0x04, 0x02, (byte) 0xFF, 0x00, 0x00};
    /** '87': b2 strong PSK proprietary pre-agreed; b8 the key exists. */
    private static final byte KEY_AGREEMENT_PSK = 0x02;
    private static final byte KEY_EXISTS = (byte) 0x80;
    /** '89' 04 04: AES-128 CBC, AES-128 CMAC, the only pair the profile accepts. */
    private static final byte AES_CBC = 0x04;
    private static final byte AES_CMAC = 0x04;

    private static final byte[] T2U = {'T', '2', 'U'};
    private static final byte[] U2T = {'U', '2', 'T'};

    private final ChannelKey key;
    private final SecureChannel channel;
    private final CardCrypto crypto;
    private final byte[] iccid;
    private final byte[] aid;
    private final byte aidLength;
    private final byte[] mac;

    /** The endpoint of the applet whose AID is {@code aidBytes[aidOff..+aidLen)}, keyed by {@code key}. */
    public SaOperations(ChannelKey key, SecureChannel channel, CardCrypto crypto,
                 byte[] aidBytes, short aidOff, short aidLen) {
        this.key = key;
        this.channel = channel;
        this.crypto = crypto;
        iccid = JCSystem.makeTransientByteArray(ICCID_LENGTH, JCSystem.CLEAR_ON_RESET);
        aid = new byte[aidLen];
        Util.arrayCopy(aidBytes, aidOff, aid, (short) 0, aidLen);
        aidLength = (byte) aidLen;
        mac = JCSystem.makeTransientByteArray(MAC_LENGTH, JCSystem.CLEAR_ON_RESET);
    }

    /** Runs P1 01..04 with the '73' value {@code b[off..off+len)}; the response goes to {@code out}. */
    short run(byte op, byte[] b, short off, short len, byte[] out) {
        short end = (short) (off + len);
        if (!Tlv.wellFormed(b, off, end)) {
            ISOException.throwIt(SedSw.WRONG_DATA);
        }
        switch (op) {
            case MASTER_SA:
                return masterSa(b, off, end, out);
            case CONNECTION_SA:
                return connectionSa(b, off, end, out);
            case START:
                return start(b, off, end, out);
            case TERMINATE:
                terminate(b, off, end);
                return 0;
            default:
                ISOException.throwIt(SedSw.WRONG_P1P2);
                return 0;
        }
    }

    /** EF_ICCID as stored, from the platform (the UICC_ID); false without a platform. */
    private boolean readIccid() {
        return UiccPlatform.readIccid(iccid, (short) 0) == ICCID_LENGTH;
    }

    /** P1 00: UICC_ID (when the card knows its ICCID) and this application's endpoint. */
    short endpoints(byte[] out) {
        boolean knowsIccid = readIccid();
        short valueLen = (short) (2 + ENDPOINT.length + aidLength);
        if (knowsIccid) {
            valueLen += 2 + ICCID_LENGTH;
        }
        short p = Tlv.writeHeader(out, (short) 0, TAG_MSC, valueLen);
        if (knowsIccid) {
            p = Tlv.write(out, p, TAG_UICC_ID, iccid, (short) 0, ICCID_LENGTH);
        }
        p = Tlv.writeHeader(out, p, TAG_ENDPOINT, (short) (ENDPOINT.length + aidLength));
        p = Util.arrayCopyNonAtomic(ENDPOINT, (short) 0, out, p, (short) ENDPOINT.length);
        return Util.arrayCopyNonAtomic(aid, (short) 0, out, p, aidLength);
    }

    private short masterSa(byte[] b, short off, short end, byte[] out) {
        require(b, off, end, TAG_TERMINAL_ID, (short) 1, MAX_IDENTITY);
        require(b, off, end, TAG_TERMINAL_APPLI_ID, (short) 1, MAX_IDENTITY);
        short uiccId = require(b, off, end, TAG_UICC_ID, ICCID_LENGTH, ICCID_LENGTH);
        short appliId = require(b, off, end, TAG_UICC_APPLI_ID, aidLength, aidLength);
        if (!readIccid() || Util.arrayCompare(b, uiccId, iccid, (short) 0, ICCID_LENGTH) != 0
                || Util.arrayCompare(b, appliId, aid, (short) 0, aidLength) != 0) {
            ISOException.throwIt(SedSw.WRONG_DATA);
        }
        // A new master SA replaces the old one, and the old one's CSA with it.
        channel.endConnection();
        channel.random.nextBytes(mac, (short) 0, MasterSa.ID_LENGTH);
        channel.master.establish(mac, (short) 0);
        Util.arrayFillNonAtomic(mac, (short) 0, MAC_LENGTH, (byte) 0);

        short p = Tlv.writeHeader(out, (short) 0, TAG_MSC, (short) (3 + 2 + MasterSa.ID_LENGTH));
        out[p++] = TAG_KEY_AGREEMENT;
        out[p++] = 1;
        out[p++] = (byte) (KEY_AGREEMENT_PSK | (key.hasKmsa() ? KEY_EXISTS : 0));
        return Tlv.write(out, p, TAG_MSA_ID, channel.master.id(), (short) 0, MasterSa.ID_LENGTH);
    }

    private short connectionSa(byte[] b, short off, short end, byte[] out) {
        short msaId = require(b, off, end, TAG_MSA_ID, MasterSa.ID_LENGTH, MasterSa.ID_LENGTH);
        short nonce = require(b, off, end, TAG_TERMINAL_NONCE, ConnectionSa.NONCE_LENGTH, ConnectionSa.NONCE_LENGTH);
        if (!channel.master.matches(b, msaId)) {
            ISOException.throwIt(SedSw.NOT_FOUND);
        }
        if (!key.hasKmsa()) {
            ISOException.throwIt(SedSw.CONDITIONS);
        }
        // A new connection SA replaces the old one.
        channel.endConnection();
        ConnectionSa csa = channel.connection;
        csa.establish(b, nonce, channel.random, key.kmsaArray(), key.kmsaOffset(), key.kmsaLength());

        short p = Tlv.writeHeader(out, (short) 0, TAG_MSC, (short) (2 * (2 + ConnectionSa.ID_LENGTH)));
        p = Tlv.write(out, p, TAG_CSA_ID, csa.data(), ConnectionSa.CSA_ID, ConnectionSa.ID_LENGTH);
        return Tlv.write(out, p, TAG_UICC_NONCE, csa.data(), ConnectionSa.UICC_NONCE, ConnectionSa.NONCE_LENGTH);
    }

    private short start(byte[] b, short off, short end, byte[] out) {
        short csaId = require(b, off, end, TAG_CSA_ID, ConnectionSa.ID_LENGTH, ConnectionSa.ID_LENGTH);
        short algorithms = require(b, off, end, TAG_ALGORITHMS, (short) 2, (short) 2);
        short container = require(b, off, end, TAG_CONTAINER, (short) 1, (short) 1);
        short sscmac = require(b, off, end, TAG_SSCMAC, MAC_LENGTH, MAC_LENGTH);
        ConnectionSa csa = channel.connection;
        if (!csa.matches(b, csaId)) {
            ISOException.throwIt(SedSw.NOT_FOUND);
        }
        if (csa.isStarted()) {
            // Starting again would reset the counters: a replayed start must not do that.
            ISOException.throwIt(SedSw.CONDITIONS);
        }
        byte size = b[container];
        if (b[algorithms] != AES_CBC || b[(short) (algorithms + 1)] != AES_CMAC
                || (short) (size & 0xFF) < MIN_CONTAINER) {
            ISOException.throwIt(SedSw.WRONG_DATA);
        }
        csa.sscmac(T2U, b, algorithms, size, mac, (short) 0);
        boolean good = Aes.equalsConstantTime(mac, (short) 0, b, sscmac, MAC_LENGTH);
        Util.arrayFillNonAtomic(mac, (short) 0, MAC_LENGTH, (byte) 0);
        if (!good) {
            channel.endConnection();
            ISOException.throwIt(SedSw.AUTHENTICATION);
        }
        short p = Tlv.writeHeader(out, (short) 0, TAG_MSC, (short) (2 + MAC_LENGTH));
        p = Tlv.writeHeader(out, p, TAG_SSCMAC, MAC_LENGTH);
        csa.sscmac(U2T, b, algorithms, size, out, p);
        csa.start(size);
        return (short) (p + MAC_LENGTH);
    }

    private void terminate(byte[] b, short off, short end) {
        // Exactly one TLV: '8B' CSA_ID ‖ MAC or '88' MSA_ID ‖ MAC ('20' = 32 bytes).
        short v = Tlv.valueOffset(b, off, end);
        byte tag = b[off];
        if (v < 0 || (short) (v + Tlv.valueLength(b, off)) != end
                || Tlv.valueLength(b, off) != (short) (ConnectionSa.ID_LENGTH + MAC_LENGTH)
                || (tag != TAG_CSA_ID && tag != TAG_MSA_ID)) {
            ISOException.throwIt(SedSw.WRONG_DATA);
        }
        short given = (short) (v + ConnectionSa.ID_LENGTH);
        if (tag == TAG_CSA_ID) {
            ConnectionSa csa = channel.connection;
            if (!csa.matches(b, v)) {
                ISOException.throwIt(SedSw.NOT_FOUND);
            }
            csa.terminateMac(mac, (short) 0);
        } else {
            if (!channel.master.matches(b, v)) {
                ISOException.throwIt(SedSw.NOT_FOUND);
            }
            if (!key.hasKmsa()) {
                ISOException.throwIt(SedSw.CONDITIONS);
            }
            ConnectionSa.masterTerminateMac(crypto, key.kmsaArray(), key.kmsaOffset(),
                    key.kmsaLength(), b, v, mac, (short) 0);
        }
        boolean good = Aes.equalsConstantTime(mac, (short) 0, b, given, MAC_LENGTH);
        Util.arrayFillNonAtomic(mac, (short) 0, MAC_LENGTH, (byte) 0);
        if (!good) {
            ISOException.throwIt(SedSw.AUTHENTICATION); // nothing ends
        }
        if (tag == TAG_CSA_ID) {
            channel.endConnection();
        } else {
            channel.endMaster();
        }
    }

    /**
     * The value offset of the mandatory {@code tag}, whose length must be within
     * {@code min..max}; {@code 6A80} otherwise.
     */
    private static short require(byte[] b, short off, short end, byte tag, short min, short max) {
        short t = Tlv.find(b, off, end, tag);
        if (t < 0) {
            ISOException.throwIt(SedSw.WRONG_DATA);
        }
        short len = Tlv.valueLength(b, t);
        if (len < min || len > max) {
            ISOException.throwIt(SedSw.WRONG_DATA);
        }
        return Tlv.valueOffset(b, t, end);
    }
}
