package org.m2muicc.card.applets.ivsed;

import javacard.framework.Util;
import javacard.security.MessageDigest;

import org.m2muicc.card.applets.common.AdminCode;
import org.m2muicc.card.applets.common.Tlv;
import org.m2muicc.card.crypto.EcdsaP256;
import org.m2muicc.card.crypto.Kcv;

/**
 * GET DATA {@code 80 CA 00 FF} of the IV-SED (IV-SED.md §2): lifecycle, tries, Node-ID, manifest
 * version and digest, report counter, the attestation public key, the ids of the two
 * verification keys and the check value of Kmsa_iv. Never a secret. At most 162 bytes.
 */
final class IvPublicData {
    private static final short KEY_ID = 8;

    private final IvStore store;
    private final AdminCode admin;
    private final Kcv kcv;
    private final MessageDigest sha256;

    IvPublicData(IvStore store, AdminCode admin, Kcv kcv, MessageDigest sha256) {
        this.store = store;
        this.admin = admin;
        this.kcv = kcv;
        this.sha256 = sha256;
    }

    /** Writes the response at {@code out[off..)} (room for 256 bytes); returns its length. */
    short write(byte[] out, short off) {
        short p = off;
        out[p++] = (byte) 0xC0;
        out[p++] = 1;
        out[p++] = store.lifecycle();
        out[p++] = (byte) 0xCF;
        out[p++] = 1;
        out[p++] = admin.triesRemaining();
        byte[] d = store.data();
        if (store.isSet(IvStore.NODE_ID)) {
            p = Tlv.write(out, p, (byte) 0xC1, d, IvStore.OFFSET[IvStore.NODE_ID], (short) 16);
        }
        p = Tlv.write(out, p, (byte) 0xD0, store.manifestVersion, (short) 0, (short) 4);
        p = Tlv.write(out, p, (byte) 0xD1, store.counter, (short) 0, (short) 4);
        if (store.hasManifest()) {
            p = Tlv.write(out, p, (byte) 0xD2, store.manifestDigest, (short) 0, (short) 32);
        }
        if (store.hasAttestationKey()) {
            p = Tlv.write(out, p, (byte) 0xD3, store.attestationPoint, (short) 0, EcdsaP256.POINT_LENGTH);
        }
        p = keyId(out, p, (byte) 0xD4, IvStore.REF_KEY);
        p = keyId(out, p, (byte) 0xD5, IvStore.POLICY_KEY);
        if (store.hasKmsa()) {
            out[p++] = (byte) 0xE4;
            out[p++] = (byte) Kcv.LENGTH;
            p += kcv.compute(d, store.kmsaOffset(), store.kmsaLength(), out, p);
        }
        return (short) (p - off);
    }

    /** SHA-256(point)[0..8] of a set verification key, as TLV. */
    private short keyId(byte[] out, short p, byte tag, byte field) {
        if (!store.isSet(field)) {
            return p;
        }
        out[p++] = tag;
        out[p++] = (byte) KEY_ID;
        // The digest (32) is written in place and cut to 8: the buffer has room past the end.
        sha256.reset();
        sha256.doFinal(store.data(), IvStore.OFFSET[field], EcdsaP256.POINT_LENGTH, out, p);
        Util.arrayFillNonAtomic(out, (short) (p + KEY_ID), (short) 24, (byte) 0);
        return (short) (p + KEY_ID);
    }
}
