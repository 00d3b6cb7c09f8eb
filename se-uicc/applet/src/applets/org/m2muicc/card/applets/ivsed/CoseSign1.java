package org.m2muicc.card.applets.ivsed;

import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.Signature;

import org.m2muicc.card.applets.common.SedSw;
import org.m2muicc.card.crypto.EcdsaP256;

/**
 * COSE_Sign1 with ES256 (RFC 9052 §4.2/§4.4, integrity/FORMATS.md §1): parses an incoming one
 * (protected header exactly {1: -7}, any unprotected map, 64-byte raw signature), verifies it
 * over its Sig_structure, and signs outgoing ones.
 */
final class CoseSign1 {
    /** The protected header {1: -7}, as the bstr it travels in. */
    static final byte[] PROTECTED = {0x43, (byte) 0xA1, 0x01, 0x26};
    /** Sig_structure up to the payload: ["Signature1", h'A10126', h'', then the payload bstr. */
    private static final byte[] SIG_STRUCTURE = {
        (byte) 0x84, 0x6A, 'S', 'i', 'g', 'n', 'a', 't', 'u', 'r', 'e', '1',
        0x43, (byte) 0xA1, 0x01, 0x26, 0x40};
    static final byte TAG18 = (byte) 0xD2;

    private final EcdsaP256 ecdsa;
    private final byte[] prefix;
    short payloadOff;
    short payloadLen;
    short signatureOff;

    CoseSign1(EcdsaP256 ecdsa) {
        this.ecdsa = ecdsa;
        prefix = JCSystem.makeTransientByteArray((short) (SIG_STRUCTURE.length + 3), JCSystem.CLEAR_ON_RESET);
    }

    /** Parses {@code b[off..off+len)} as one tagged or untagged COSE_Sign1; 6A80 otherwise. */
    void parse(Cbor r, byte[] b, short off, short len) {
        short end = (short) (off + len);
        if (len > 0 && b[off] == TAG18) {
            off++;
        }
        r.start(b, off, end);
        r.container(Cbor.ARRAY, (short) 4, (short) 4);
        short p = r.pos;
        if ((short) (end - p) < (short) PROTECTED.length
                || Util.arrayCompare(b, p, PROTECTED, (short) 0, (short) PROTECTED.length) != 0) {
            Cbor.malformed();
        }
        r.pos += PROTECTED.length;
        if (r.pos >= end || (b[r.pos] & 0xE0) != (Cbor.MAP << 5)) {
            Cbor.malformed();
        }
        r.skip();
        payloadOff = r.string(Cbor.BSTR, (short) 1, (short) 0x7FFF);
        payloadLen = r.value;
        signatureOff = r.string(Cbor.BSTR, EcdsaP256.RAW_LENGTH, EcdsaP256.RAW_LENGTH);
        if (!r.atEnd()) {
            Cbor.malformed();
        }
    }

    /** Whether the parsed message's signature verifies under the point {@code key[keyOff..+65)}. */
    boolean verify(byte[] b, byte[] key, short keyOff) {
        ecdsa.initVerify(key, keyOff);
        short n = sigStructurePrefix(payloadLen);
        ecdsa.engine().update(prefix, (short) 0, n);
        return ecdsa.verifyRaw(b, payloadOff, payloadLen, b, signatureOff);
    }

    /**
     * Signs the payload {@code b[payloadAt..+len)} with the engine already initialised for
     * signing; the 64-byte signature goes to {@code sig[sigOff..)}.
     */
    void sign(byte[] b, short payloadAt, short len, byte[] sig, short sigOff) {
        short n = sigStructurePrefix(len);
        Signature s = ecdsa.engine();
        s.update(prefix, (short) 0, n);
        ecdsa.signRaw(b, payloadAt, len, sig, sigOff);
    }

    /** The engine {@link #sign} finishes; the caller initialises it with the signing key. */
    Signature signatureEngine() {
        return ecdsa.engine();
    }

    private short sigStructurePrefix(short len) {
        Util.arrayCopyNonAtomic(SIG_STRUCTURE, (short) 0, prefix, (short) 0, (short) SIG_STRUCTURE.length);
        return CborOut.head(prefix, (short) SIG_STRUCTURE.length, Cbor.BSTR, len);
    }

    static void refuse() {
        ISOException.throwIt(SedSw.WRONG_DATA);
    }
}
