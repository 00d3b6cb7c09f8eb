package org.m2muicc.card.crypto;

import javacard.framework.Util;
import javacard.security.HMACKey;
import javacard.security.KeyBuilder;
import javacard.security.Signature;

/**
 * The TLS 1.2 PRF (RFC 5246 §5) with P_SHA256:
 * {@code PRF(secret, label, seed) = P_SHA256(secret, label ‖ seed)}, where
 * {@code A(0) = label ‖ seed}, {@code A(i) = HMAC(secret, A(i-1))} and the output is
 * {@code HMAC(secret, A(1) ‖ label ‖ seed) ‖ HMAC(secret, A(2) ‖ label ‖ seed) ‖ ...}.
 *
 * <p>The label and seed are fed to HMAC piece by piece, so they never need to be copied next
 * to each other. HMAC-SHA-256 comes from {@code Signature.ALG_HMAC_SHA_256}, which jCardSim
 * implements with a {@code TYPE_HMAC} key of any length (the PSK premaster is 68 bytes).
 */
public final class TlsPrf {
    private static final short HASH = 32;

    private final Signature hmac;
    private final HMACKey key;
    private final byte[] work; // A(i) ‖ one output block

    public TlsPrf() {
        hmac = Signature.getInstance(Signature.ALG_HMAC_SHA_256, false);
        key = (HMACKey) KeyBuilder.buildKey(KeyBuilder.TYPE_HMAC_TRANSIENT_RESET,
                KeyBuilder.LENGTH_HMAC_SHA_256_BLOCK_64, false);
        work = Aes.scratch((short) (2 * HASH));
    }

    /**
     * Writes {@code outLen} bytes of PRF(secret, label, seed) to {@code out}. The output may
     * not overlap the label or the seed (they are read once per block).
     */
    public void prf(byte[] secret, short secretOff, short secretLen,
                    byte[] label, short labelOff, short labelLen,
                    byte[] seed, short seedOff, short seedLen,
                    byte[] out, short outOff, short outLen) {
        key.setKey(secret, secretOff, secretLen);
        hmac.init(key, Signature.MODE_SIGN);
        // A(1) = HMAC(label ‖ seed)
        feed(label, labelOff, labelLen);
        hmac.sign(seed, seedOff, seedLen, work, (short) 0);
        short done = 0;
        while (done < outLen) {
            // HMAC(A(i) ‖ label ‖ seed)
            hmac.update(work, (short) 0, HASH);
            feed(label, labelOff, labelLen);
            hmac.sign(seed, seedOff, seedLen, work, HASH);
            short n = (short) (outLen - done);
            if (n > HASH) {
                n = HASH;
            }
            Util.arrayCopyNonAtomic(work, HASH, out, (short) (outOff + done), n);
            done += n;
            if (done < outLen) {
                hmac.sign(work, (short) 0, HASH, work, (short) 0); // A(i+1) = HMAC(A(i))
            }
        }
        Aes.wipe(work, (short) 0, (short) (2 * HASH));
        key.clearKey();
    }

    private void feed(byte[] data, short off, short len) {
        if (len > 0) {
            hmac.update(data, off, len);
        }
    }
}
