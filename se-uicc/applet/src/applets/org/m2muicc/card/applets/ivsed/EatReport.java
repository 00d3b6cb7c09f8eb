package org.m2muicc.card.applets.ivsed;

import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.MessageDigest;

/**
 * Builds and signs the integrity report (integrity/FORMATS.md §3): an EAT claims set made only
 * from the card's own state (Node-ID, manifest, counter, the recorded compare results and the
 * digests the terminal gave), plus for a gateway the {@code submods} map its terminal gave (claim
 * 266, copied verbatim), as a tagged COSE_Sign1 with {4: kid} unprotected.
 *
 * <p>The payload is written first ({@link #writePayload}), at {@link #PAYLOAD_AT}, leaving room
 * for the longest COSE header; {@link #sign} then signs it and moves the whole message to offset 0.
 * The two are apart so the caller can refuse a report too large before the counter moves.
 */
final class EatReport {
    /** Holds the largest report: 16 objects with 64-byte names in both claims, ~3 KB. */
    static final short OUTPUT_CAPACITY = 3072;
    static final byte UEID_TYPE_RAND = 0x01;
    private static final short KID = 8;
    /** D2 84 43 A1 01 26 A1 04 48 kid(8) then the payload bstr head (≤ 3). */
    private static final short HEADER_MAX = 20;
    private static final short PAYLOAD_AT = HEADER_MAX;
    private static final short SIG = 64;

    private static final byte[] PROFILE = {
        't', 'a', 'g', ':', 'm', '2', 'm', '-', 'u', 'i', 'c', 'c', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e',
        ',', '2', '0', '2', '6', ':', 'i', 'v', '-', 'e', 'a', 't', '-', '1'};
    private static final byte[] MEASRES_ID = {'m', '2', 'm', '-', 'i', 'v', '-', 's', 'e', 'd'};
    private static final byte[] KEY_UEID = {0x19, 0x01, 0x00};
    private static final byte[] KEY_PROFILE = {0x19, 0x01, 0x09};
    private static final byte[] KEY_SUBMODS = {0x19, 0x01, 0x0A};
    private static final byte[] KEY_MEASUREMENTS = {0x19, 0x01, 0x11};
    private static final byte[] KEY_MEASRES = {0x19, 0x01, 0x12};
    /** -70001 and -70002: major 1, argument 70000 / 70001. */
    private static final byte[] KEY_VERSION = {0x3A, 0x00, 0x01, 0x11, 0x70};
    private static final byte[] KEY_COUNTER = {0x3A, 0x00, 0x01, 0x11, 0x71};
    private static final byte CLAIM_IAT = 6;
    private static final byte CLAIM_NONCE = 10;
    private static final short CBOR_CONTENT_FORMAT = 60;

    private final IvStore store;
    private final CoseSign1 cose;
    private final MessageDigest sha256;
    private final byte[] sig;

    EatReport(IvStore store, CoseSign1 cose, MessageDigest sha256) {
        this.store = store;
        this.cose = cose;
        this.sha256 = sha256;
        sig = JCSystem.makeTransientByteArray(SIG, JCSystem.CLEAR_ON_RESET);
    }

    /**
     * Writes the claims set into {@code out} and returns its length, or -1 when the signed report
     * would not fit {@link #OUTPUT_CAPACITY} (then {@code out} holds nothing usable). {@code iat} is
     * null or {@code iat[iatOff..+8)} big-endian Unix seconds; {@code counter[counterOff..+4)} the
     * report counter; {@code sub[subOff..+subLen)} a checked submods map, none when subLen is 0.
     */
    short writePayload(byte[] out, Manifest m, byte[] results, byte[] digests, byte[] nonce, short nonceOff,
                       short nonceLen, byte[] iat, short iatOff, byte[] counter, short counterOff,
                       byte[] sub, short subOff, short subLen) {
        byte[] ref = store.activeManifest();
        short n = m.count();
        short p = PAYLOAD_AT;
        p = CborOut.head(out, p, Cbor.MAP, (short) ((iat != null ? 8 : 7) + (subLen > 0 ? 1 : 0)));
        if (iat != null) {
            out[p++] = CLAIM_IAT;
            p = CborOut.uint64(out, p, iat, iatOff);
        }
        out[p++] = CLAIM_NONCE;
        p = CborOut.string(out, p, Cbor.BSTR, nonce, nonceOff, nonceLen);

        p = Util.arrayCopyNonAtomic(KEY_UEID, (short) 0, out, p, (short) 3);
        p = CborOut.head(out, p, Cbor.BSTR, (short) 17);
        out[p++] = UEID_TYPE_RAND;
        p = Util.arrayCopyNonAtomic(store.data(), IvStore.OFFSET[IvStore.NODE_ID], out, p, (short) 16);

        p = Util.arrayCopyNonAtomic(KEY_PROFILE, (short) 0, out, p, (short) 3);
        p = CborOut.string(out, p, Cbor.TSTR, PROFILE, (short) 0, (short) PROFILE.length);
        short submodsAt = p; // claim 266 goes here, once the size of the rest is known

        // measurements: [[60, bstr .cbor [* [name, digest]]]], the objects the terminal measured
        p = Util.arrayCopyNonAtomic(KEY_MEASUREMENTS, (short) 0, out, p, (short) 3);
        short measured = 0;
        short innerLen = 0;
        for (short i = 0; i < n; i++) {
            if (results[i] == IvCommands.SUCCESS || results[i] == IvCommands.FAIL) {
                measured++;
                innerLen += (short) (1 + CborOut.headSize(m.nameLen[i]) + m.nameLen[i] + 2 + Manifest.DIGEST);
            }
        }
        innerLen += CborOut.headSize(measured);
        p = CborOut.head(out, p, Cbor.ARRAY, (short) 1);
        p = CborOut.head(out, p, Cbor.ARRAY, (short) 2);
        p = CborOut.head(out, p, Cbor.UINT, CBOR_CONTENT_FORMAT);
        p = CborOut.head(out, p, Cbor.BSTR, innerLen);
        p = CborOut.head(out, p, Cbor.ARRAY, measured);
        for (short i = 0; i < n; i++) {
            if (results[i] == IvCommands.SUCCESS || results[i] == IvCommands.FAIL) {
                p = CborOut.head(out, p, Cbor.ARRAY, (short) 2);
                p = CborOut.string(out, p, Cbor.TSTR, ref, m.nameOff[i], m.nameLen[i]);
                p = CborOut.string(out, p, Cbor.BSTR, digests, (short) (i * Manifest.DIGEST), Manifest.DIGEST);
            }
        }

        // measres: [["m2m-iv-sed", [* [name, result]]]], every object in manifest order
        p = Util.arrayCopyNonAtomic(KEY_MEASRES, (short) 0, out, p, (short) 3);
        p = CborOut.head(out, p, Cbor.ARRAY, (short) 1);
        p = CborOut.head(out, p, Cbor.ARRAY, (short) 2);
        p = CborOut.string(out, p, Cbor.TSTR, MEASRES_ID, (short) 0, (short) MEASRES_ID.length);
        p = CborOut.head(out, p, Cbor.ARRAY, n);
        for (short i = 0; i < n; i++) {
            p = CborOut.head(out, p, Cbor.ARRAY, (short) 2);
            p = CborOut.string(out, p, Cbor.TSTR, ref, m.nameOff[i], m.nameLen[i]);
            out[p++] = results[i];
        }

        p = Util.arrayCopyNonAtomic(KEY_VERSION, (short) 0, out, p, (short) 5);
        p = CborOut.uint32(out, p, store.manifestVersion, (short) 0);
        p = Util.arrayCopyNonAtomic(KEY_COUNTER, (short) 0, out, p, (short) 5);
        p = CborOut.uint32(out, p, counter, counterOff);

        if (subLen > 0) {
            short insert = (short) (KEY_SUBMODS.length + subLen);
            // Compared without summing first: both sides stay below 32767.
            if (subLen > (short) (OUTPUT_CAPACITY - 2 - SIG - KEY_SUBMODS.length - p)) {
                return -1;
            }
            Util.arrayCopyNonAtomic(out, submodsAt, out, (short) (submodsAt + insert), (short) (p - submodsAt));
            short q = Util.arrayCopyNonAtomic(KEY_SUBMODS, (short) 0, out, submodsAt, (short) KEY_SUBMODS.length);
            Util.arrayCopyNonAtomic(sub, subOff, out, q, subLen);
            p += insert;
        }
        return (short) (p - PAYLOAD_AT);
    }

    /** Signs the payload {@link #writePayload} left and returns the report's length at {@code out[0..)}. */
    short sign(byte[] out, short payloadLen) {
        short p = (short) (PAYLOAD_AT + payloadLen);
        IvCommands.initSign(cose.signatureEngine(), store);
        cose.sign(out, PAYLOAD_AT, payloadLen, sig, (short) 0);

        // The signature after the payload, the COSE header just before it, then all to offset 0.
        short end = CborOut.head(out, p, Cbor.BSTR, SIG);
        end = Util.arrayCopyNonAtomic(sig, (short) 0, out, end, SIG);
        Util.arrayFillNonAtomic(sig, (short) 0, SIG, (byte) 0);
        short start = (short) (PAYLOAD_AT - CborOut.headSize(payloadLen) - (short) (HEADER_MAX - 3));
        short h = start;
        out[h++] = CoseSign1.TAG18;
        out[h++] = (byte) 0x84;
        h = Util.arrayCopyNonAtomic(CoseSign1.PROTECTED, (short) 0, out, h, (short) CoseSign1.PROTECTED.length);
        out[h++] = (byte) 0xA1; // unprotected {4: kid}
        out[h++] = 0x04;
        out[h++] = (byte) (0x40 | KID);
        sha256.reset();
        sha256.doFinal(store.attestationPoint, (short) 0, (short) store.attestationPoint.length, sig, (short) 0);
        h = Util.arrayCopyNonAtomic(sig, (short) 0, out, h, KID);
        Util.arrayFillNonAtomic(sig, (short) 0, SIG, (byte) 0);
        CborOut.head(out, h, Cbor.BSTR, payloadLen);
        short total = (short) (end - start);
        Util.arrayCopyNonAtomic(out, start, out, (short) 0, total);
        return total;
    }
}
