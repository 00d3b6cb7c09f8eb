package org.m2muicc.card.applets.ivsed;

import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.MessageDigest;
import javacard.security.Signature;

import org.m2muicc.card.applets.channel.InnerApdu;
import org.m2muicc.card.applets.channel.InnerCommands;
import org.m2muicc.card.applets.channel.TransactData;
import org.m2muicc.card.applets.common.SedSw;
import org.m2muicc.card.crypto.EcdsaP256;
import org.m2muicc.card.platform.UiccPlatform;

/**
 * The IV-SED's operational commands (IV-SED.md §4), reached only as inner APDUs of its own
 * secure channel: LOAD BLOCK, INSTALL MANIFEST, COMPARE, SIGN REPORT, READ OUTPUT and VERIFY
 * DECISION. Every failing command changes nothing persistent: checks come first, and the only
 * persistent writes (the inactive manifest slot, then the flip; the counter) are ordered so a
 * tear leaves the old or the new state.
 */
final class IvCommands implements InnerCommands {
    private static final byte INS_LOAD_BLOCK = 0x50;
    private static final byte INS_INSTALL_MANIFEST = 0x52;
    private static final byte INS_COMPARE = 0x54;
    private static final byte INS_SIGN_REPORT = 0x56;
    private static final byte INS_READ_OUTPUT = 0x58;
    private static final byte INS_VERIFY_DECISION = 0x5A;

    static final short SW_SIGNATURE = (short) 0x6300;
    static final short SW_NOT_NEWER = (short) 0x6984;
    static final short SW_TOO_LARGE = (short) 0x6A84;

    static final short INPUT_CAPACITY = 4096;
    static final short MAX_BLOCK = 240;
    private static final short MIN_NONCE = 8;
    private static final short MAX_NONCE = 64;
    private static final short IAT = 8;
    private static final short DIGEST = 32;

    static final byte SUCCESS = 1;
    static final byte FAIL = 2;
    static final byte NOT_RUN = 3;
    static final byte ABSENT = 4;
    private static final byte ABSENT_FLAG = (byte) 0x80;

    private final IvStore store;
    private final EcdsaP256 ecdsa;
    private final CoseSign1 cose;
    private final Manifest manifest;
    private final EatReport report;
    private final Cbor reader;
    private final MessageDigest sha256;
    private final byte[] input;
    /** [0]: input length; [1]: output length. */
    private final short[] lengths;
    private final byte[] output;
    private final byte[] results;
    private final byte[] digests;
    /** nonce length (1) ‖ nonce (64) ‖ counter (4) ‖ valid (1): what the last report answered. */
    private final byte[] last;
    private final byte[] scratch;

    IvCommands(IvStore store, EcdsaP256 ecdsa) {
        this.store = store;
        this.ecdsa = ecdsa;
        cose = new CoseSign1(ecdsa);
        manifest = new Manifest();
        reader = new Cbor();
        sha256 = MessageDigest.getInstance(MessageDigest.ALG_SHA_256, false);
        input = JCSystem.makeTransientByteArray(INPUT_CAPACITY, JCSystem.CLEAR_ON_RESET);
        lengths = JCSystem.makeTransientShortArray((short) 2, JCSystem.CLEAR_ON_RESET);
        output = JCSystem.makeTransientByteArray(EatReport.OUTPUT_CAPACITY, JCSystem.CLEAR_ON_RESET);
        results = JCSystem.makeTransientByteArray(Manifest.MAX_OBJECTS, JCSystem.CLEAR_ON_RESET);
        digests = JCSystem.makeTransientByteArray((short) (Manifest.MAX_OBJECTS * DIGEST), JCSystem.CLEAR_ON_RESET);
        last = JCSystem.makeTransientByteArray((short) (1 + MAX_NONCE + 4 + 1), JCSystem.CLEAR_ON_RESET);
        scratch = JCSystem.makeTransientByteArray((short) 40, JCSystem.CLEAR_ON_RESET);
        report = new EatReport(store, cose, sha256);
        resetResults();
    }

    public short run(byte[] c, short off, short len, byte[] out, short outOff) {
        short lc = InnerApdu.lc(c, off, len);
        short data = (short) (off + 5);
        byte ins = c[(short) (off + 1)];
        byte p1 = c[(short) (off + 2)];
        byte p2 = c[(short) (off + 3)];
        if (ins != INS_LOAD_BLOCK && ins != INS_INSTALL_MANIFEST && ins != INS_COMPARE && ins != INS_SIGN_REPORT
                && ins != INS_READ_OUTPUT && ins != INS_VERIFY_DECISION) {
            ISOException.throwIt(SedSw.INS_NOT_SUPPORTED);
        }
        if (!store.operational()) {
            ISOException.throwIt(SedSw.CONDITIONS);
        }
        switch (ins) {
            case INS_LOAD_BLOCK:
                loadBlock(p1, p2, c, data, lc);
                return 0;
            case INS_INSTALL_MANIFEST:
                requireP1P2(p1 == 0 && p2 == 0);
                requireLc(lc == 0);
                return installManifest(out, outOff);
            case INS_COMPARE:
                return compare(p1, p2, c, data, lc, out, outOff);
            case INS_SIGN_REPORT:
                requireP1P2((p1 == 0 || p1 == 1) && p2 == 0);
                try {
                    return signReport(p1 == 1, c, data, lc, out, outOff);
                } finally {
                    clearInput(); // a submods map is signed once, or not at all
                }
            case INS_READ_OUTPUT:
                requireLc(lc == 0);
                return readOutput(Util.getShort(c, (short) (off + 2)), len == 5 ? c[(short) (off + 4)] : 0, out, outOff);
            default:
                requireP1P2(p1 == 0 && p2 == 0);
                requireLc(lc == 0);
                return verifyDecision(out, outOff);
        }
    }

    private static void requireP1P2(boolean ok) {
        if (!ok) {
            ISOException.throwIt(SedSw.WRONG_P1P2);
        }
    }

    private static void requireLc(boolean ok) {
        if (!ok) {
            ISOException.throwIt(SedSw.WRONG_LENGTH);
        }
    }

    // --- LOAD BLOCK -------------------------------------------------------------------------

    private void loadBlock(byte p1, byte p2, byte[] c, short data, short lc) {
        requireP1P2((p1 == 0 || p1 == 1) && p2 == 0);
        requireLc(lc >= 1 && lc <= MAX_BLOCK);
        if (p1 == 0) {
            clearInput();
        }
        if (lc > (short) (INPUT_CAPACITY - lengths[0])) {
            ISOException.throwIt(SW_TOO_LARGE);
        }
        Util.arrayCopyNonAtomic(c, data, input, lengths[0], lc);
        lengths[0] += lc;
    }

    private void clearInput() {
        Util.arrayFillNonAtomic(input, (short) 0, INPUT_CAPACITY, (byte) 0);
        lengths[0] = 0;
    }

    // --- INSTALL MANIFEST -------------------------------------------------------------------

    private short installManifest(byte[] out, short outOff) {
        try {
            cose.parse(reader, input, (short) 0, lengths[0]);
            if (cose.payloadLen > Manifest.MAX_PAYLOAD) {
                Cbor.malformed();
            }
            manifest.parse(reader, input, cose.payloadOff, cose.payloadLen);
            if (!cose.verify(input, store.data(), IvStore.OFFSET[IvStore.REF_KEY])) {
                ISOException.throwIt(SW_SIGNATURE);
            }
            if (store.hasManifest() && !greater(manifest.version, store.manifestVersion)) {
                ISOException.throwIt(SW_NOT_NEWER);
            }
            short len = cose.payloadLen;
            sha256.reset();
            sha256.doFinal(input, cose.payloadOff, len, scratch, (short) 0);
            // The inactive slot is invisible until the flip: writing it needs no transaction.
            Util.arrayCopyNonAtomic(input, cose.payloadOff, store.inactiveManifest(), (short) 0, len);
            UiccPlatform.tearPoint("iv-manifest");
            JCSystem.beginTransaction();
            store.flipManifest(len, manifest.version, (short) 0, scratch, (short) 0);
            JCSystem.commitTransaction();
            resetResults();
            Util.arrayCopyNonAtomic(store.manifestVersion, (short) 0, out, outOff, (short) 4);
            Util.arrayCopyNonAtomic(store.manifestDigest, (short) 0, out, (short) (outOff + 4), DIGEST);
            return (short) (4 + DIGEST);
        } finally {
            clearInput();
        }
    }

    /** Whether the 4-byte big-endian {@code a} is greater than {@code b}, unsigned. */
    static boolean greater(byte[] a, byte[] b) {
        for (short i = 0; i < 4; i++) {
            short x = (short) (a[i] & 0xFF);
            short y = (short) (b[i] & 0xFF);
            if (x != y) {
                return x > y;
            }
        }
        return false;
    }

    /** Parses the held manifest into {@link #manifest}; 6985 without one. */
    private void loadManifest() {
        if (!store.hasManifest()) {
            ISOException.throwIt(SedSw.CONDITIONS);
        }
        manifest.parse(reader, store.activeManifest(), (short) 0, store.activeManifestLength());
    }

    // --- COMPARE ----------------------------------------------------------------------------

    private void resetResults() {
        Util.arrayFillNonAtomic(results, (short) 0, Manifest.MAX_OBJECTS, NOT_RUN);
        Util.arrayFillNonAtomic(digests, (short) 0, (short) (Manifest.MAX_OBJECTS * DIGEST), (byte) 0);
    }

    private short compare(byte p1, byte p2, byte[] c, short data, short lc, byte[] out, short outOff) {
        requireP1P2((p1 == 0 || p1 == 1) && p2 == 0);
        requireLc(lc >= 1);
        loadManifest();
        short count = manifest.count();
        short end = (short) (data + lc);
        for (short p = data; p < end; ) { // everything checked before anything is recorded
            byte e = c[p];
            short index = (short) (e & 0x7F);
            short size = (e & ABSENT_FLAG) != 0 ? 1 : (short) (1 + DIGEST);
            if (index >= count || (short) (end - p) < size) {
                ISOException.throwIt(SedSw.WRONG_DATA);
            }
            p += size;
        }
        if (p1 == 0) {
            resetResults();
        }
        byte[] ref = store.activeManifest();
        short n = 0;
        for (short p = data; p < end; n++) {
            byte e = c[p];
            short index = (short) (e & 0x7F);
            short slot = (short) (index * DIGEST);
            byte result;
            if ((e & ABSENT_FLAG) != 0) {
                result = ABSENT;
                Util.arrayFillNonAtomic(digests, slot, DIGEST, (byte) 0);
                p++;
            } else {
                Util.arrayCopyNonAtomic(c, (short) (p + 1), digests, slot, DIGEST);
                result = Util.arrayCompare(c, (short) (p + 1), ref, manifest.digestOff[index], DIGEST) == 0
                        ? SUCCESS : FAIL;
                p += (short) (1 + DIGEST);
            }
            results[index] = result;
            out[(short) (outOff + n)] = result;
        }
        return n;
    }

    // --- SIGN REPORT / READ OUTPUT ----------------------------------------------------------

    private short signReport(boolean withSubmods, byte[] c, short data, short lc, byte[] out, short outOff) {
        short n = lc >= 1 ? (short) (c[data] & 0xFF) : -1;
        if (n < MIN_NONCE || n > MAX_NONCE || (lc != (short) (1 + n) && lc != (short) (1 + n + IAT))) {
            ISOException.throwIt(SedSw.WRONG_LENGTH);
        }
        boolean hasIat = lc != (short) (1 + n);
        loadManifest();
        short subLen = withSubmods ? lengths[0] : 0;
        if (withSubmods) {
            Submods.check(reader, input, (short) 0, subLen);
        }
        if (store.counter[0] == (byte) 0xFF && store.counter[1] == (byte) 0xFF
                && store.counter[2] == (byte) 0xFF && store.counter[3] == (byte) 0xFF) {
            ISOException.throwIt(SedSw.CONDITIONS); // the counter never wraps
        }
        // The payload carries the value the counter is about to take, so a report too large is
        // refused before the counter moves. The output buffer is overwritten from here on.
        lengths[1] = 0;
        Util.arrayCopyNonAtomic(store.counter, (short) 0, scratch, (short) 0, (short) 4);
        increment(scratch);
        short payloadLen = report.writePayload(output, manifest, results, digests, c, (short) (data + 1), n,
                hasIat ? c : null, (short) (data + 1 + n), scratch, (short) 0, input, (short) 0, subLen);
        if (payloadLen < 0) {
            ISOException.throwIt(SW_TOO_LARGE);
        }
        // The counter moves first and alone: a tear after it loses the value, never reuses it.
        last[(short) (last.length - 1)] = 0;
        JCSystem.beginTransaction();
        increment(store.counter);
        JCSystem.commitTransaction();
        UiccPlatform.tearPoint("iv-counter");

        short reportLen = report.sign(output, payloadLen);
        lengths[1] = reportLen;
        last[0] = (byte) n;
        Util.arrayCopyNonAtomic(c, (short) (data + 1), last, (short) 1, n);
        Util.arrayCopyNonAtomic(store.counter, (short) 0, last, (short) (1 + MAX_NONCE), (short) 4);
        last[(short) (last.length - 1)] = 1;
        Util.setShort(out, outOff, reportLen);
        Util.arrayCopyNonAtomic(store.counter, (short) 0, out, (short) (outOff + 2), (short) 4);
        return 6;
    }

    private static void increment(byte[] ctr) {
        for (short i = 3; i >= 0; i--) {
            ctr[i]++;
            if (ctr[i] != 0) {
                return;
            }
        }
    }

    private short readOutput(short offset, byte le, byte[] out, short outOff) {
        short total = lengths[1];
        if (offset < 0 || offset >= total) {
            ISOException.throwIt(SedSw.WRONG_P1P2);
        }
        short want = le == 0 ? TransactData.MAX_INNER_RESPONSE : (short) (le & 0xFF);
        short n = (short) (total - offset);
        if (n > want) {
            n = want;
        }
        Util.arrayCopyNonAtomic(output, offset, out, outOff, n);
        return n;
    }

    // --- VERIFY DECISION --------------------------------------------------------------------

    private short verifyDecision(byte[] out, short outOff) {
        try {
            if (last[(short) (last.length - 1)] == 0) {
                ISOException.throwIt(SedSw.CONDITIONS); // no report since the last reset
            }
            cose.parse(reader, input, (short) 0, lengths[0]);
            Cbor r = reader;
            r.start(input, cose.payloadOff, (short) (cose.payloadOff + cose.payloadLen));
            short entries = r.container(Cbor.MAP, (short) 6, (short) 8);
            short seen = 0;
            r.key((short) 1);
            short node = r.string(Cbor.BSTR, (short) 0, (short) 64);
            short nodeLen = r.value;
            r.key((short) 2);
            short nonce = r.string(Cbor.BSTR, (short) 0, (short) 64);
            short nonceLen = r.value;
            r.key((short) 3);
            r.uint32(scratch, (short) 0);
            r.key((short) 4);
            short verdict = r.smallUint();
            if (verdict > 2) {
                Cbor.malformed();
            }
            seen = 4;
            if (r.nextKeyIs((short) 5)) {
                r.key((short) 5);
                requireMajor(r, Cbor.ARRAY);
                r.skip();
                seen++;
            }
            if (r.nextKeyIs((short) 6)) {
                r.key((short) 6);
                requireMajor(r, Cbor.MAP);
                r.skip();
                seen++;
            }
            r.key((short) 7);
            requireMajor(r, Cbor.UINT);
            r.skip();
            r.key((short) 8);
            requireMajor(r, Cbor.UINT);
            r.skip();
            seen += 2;
            if (seen != entries || !r.atEnd()) {
                Cbor.malformed();
            }
            if (!cose.verify(input, store.data(), IvStore.OFFSET[IvStore.POLICY_KEY])) {
                ISOException.throwIt(SW_SIGNATURE);
            }
            byte[] nodeId = store.data();
            short nonceHeld = (short) (last[0] & 0xFF);
            if (nodeLen != (short) (1 + 16) || input[node] != EatReport.UEID_TYPE_RAND
                    || Util.arrayCompare(input, (short) (node + 1), nodeId, IvStore.OFFSET[IvStore.NODE_ID], (short) 16) != 0
                    || nonceLen != nonceHeld
                    || Util.arrayCompare(input, nonce, last, (short) 1, nonceHeld) != 0
                    || Util.arrayCompare(scratch, (short) 0, last, (short) (1 + MAX_NONCE), (short) 4) != 0) {
                ISOException.throwIt(SW_NOT_NEWER);
            }
            out[outOff] = (byte) verdict;
            Util.arrayCopyNonAtomic(scratch, (short) 0, out, (short) (outOff + 1), (short) 4);
            return 5;
        } finally {
            clearInput();
        }
    }

    private static void requireMajor(Cbor r, byte major) {
        if (r.pos >= r.end || (byte) ((r.buf[r.pos] >> 5) & 0x07) != major) {
            Cbor.malformed();
        }
    }

    /** For the applet's GET DATA: the engine used for key ids. */
    MessageDigest digest() {
        return sha256;
    }

    /** Signature engine in sign mode under the attestation key. */
    static void initSign(Signature s, IvStore store) {
        s.init(store.attestationPrivate, Signature.MODE_SIGN);
    }
}
