package org.m2muicc.card.applets.channel;

import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.RandomData;

import org.m2muicc.card.crypto.AesCmac;
import org.m2muicc.card.crypto.CardCrypto;

/**
 * The connection security association (M2M-SED.md §5-§6): CSA_ID, both nonces, the session
 * keys S-ENC / S-MAC / S-RMAC, and once started, the container size and per-direction counters
 * and MAC chaining values.
 *
 * <p>Everything lives in one CLEAR_ON_RESET array, so a reset ends the CSA and {@link #clear}
 * wipes every session secret with one fill. The session keys are derived once, when the CSA is
 * established, with the profile's KBKDF-CMAC (security profile §2).
 */
final class ConnectionSa {
    static final short ID_LENGTH = 16;
    static final short NONCE_LENGTH = 16;
    static final short KEY_LENGTH = 16;
    static final short COUNTER_LENGTH = 4;
    static final short CHAIN_LENGTH = 16;

    static final byte NONE = 0;
    static final byte ESTABLISHED = 1;
    static final byte STARTED = 2;

    // Layout of the state array. Terminal nonce, UICC nonce and CSA_ID are adjacent: together
    // they are the KDF context.
    private static final short STATE = 0;
    private static final short CONTAINER = 1;
    static final short TERMINAL_NONCE = 2;
    static final short UICC_NONCE = (short) (TERMINAL_NONCE + NONCE_LENGTH);
    static final short CSA_ID = (short) (UICC_NONCE + NONCE_LENGTH);
    private static final short CONTEXT_LENGTH = (short) (2 * NONCE_LENGTH + ID_LENGTH);
    static final short S_ENC = (short) (CSA_ID + ID_LENGTH);
    static final short S_MAC = (short) (S_ENC + KEY_LENGTH);
    static final short S_RMAC = (short) (S_MAC + KEY_LENGTH);
    static final short COMMAND_COUNTER = (short) (S_RMAC + KEY_LENGTH);
    static final short RESPONSE_COUNTER = (short) (COMMAND_COUNTER + COUNTER_LENGTH);
    static final short COMMAND_CHAIN = (short) (RESPONSE_COUNTER + COUNTER_LENGTH);
    static final short RESPONSE_CHAIN = (short) (COMMAND_CHAIN + CHAIN_LENGTH);
    private static final short SIZE = (short) (RESPONSE_CHAIN + CHAIN_LENGTH);

    private static final byte[] LABEL_ENC = {'S', '-', 'E', 'N', 'C'};
    private static final byte[] LABEL_MAC = {'S', '-', 'M', 'A', 'C'};
    private static final byte[] LABEL_RMAC = {'S', '-', 'R', 'M', 'A', 'C'};
    private static final byte[] TERMINATE = {'T', 'E', 'R', 'M'};

    private final byte[] s;
    private final CardCrypto crypto;

    ConnectionSa(CardCrypto crypto) {
        this.crypto = crypto;
        s = JCSystem.makeTransientByteArray(SIZE, JCSystem.CLEAR_ON_RESET);
    }

    /** The state array (offsets above); the secured-message codec works on it in place. */
    byte[] data() {
        return s;
    }

    byte state() {
        return s[STATE];
    }

    boolean isStarted() {
        return s[STATE] == STARTED;
    }

    short containerSize() {
        return (short) (s[CONTAINER] & 0xFF);
    }

    boolean matches(byte[] buf, short off) {
        return s[STATE] != NONE && Util.arrayCompare(buf, off, s, CSA_ID, ID_LENGTH) == 0;
    }

    /**
     * A new CSA under {@code kmsa}: fresh CSA_ID and UICC nonce, session keys derived from both
     * nonces and the CSA_ID. Replaces any previous CSA (the caller has cleared it).
     */
    void establish(byte[] terminalNonce, short nonceOff, RandomData random, byte[] kmsa, short kmsaOff, short kmsaLen) {
        Util.arrayFillNonAtomic(s, (short) 0, SIZE, (byte) 0);
        Util.arrayCopyNonAtomic(terminalNonce, nonceOff, s, TERMINAL_NONCE, NONCE_LENGTH);
        random.nextBytes(s, UICC_NONCE, NONCE_LENGTH);
        random.nextBytes(s, CSA_ID, ID_LENGTH);
        derive(kmsa, kmsaOff, kmsaLen, LABEL_ENC, S_ENC);
        derive(kmsa, kmsaOff, kmsaLen, LABEL_MAC, S_MAC);
        derive(kmsa, kmsaOff, kmsaLen, LABEL_RMAC, S_RMAC);
        crypto.aes.clearKeys();
        s[STATE] = ESTABLISHED;
    }

    private void derive(byte[] kmsa, short kmsaOff, short kmsaLen, byte[] label, short keyOff) {
        crypto.kbkdf.derive(kmsa, kmsaOff, kmsaLen, label, (short) 0, (short) label.length,
                s, TERMINAL_NONCE, CONTEXT_LENGTH, s, keyOff, KEY_LENGTH);
    }

    /**
     * The SSCMAC {@code CMAC(S-MAC, prefix ‖ CSA_ID ‖ algorithms ‖ containerSize)}, 16 bytes to
     * {@code out}. Prefix "T2U" for the terminal's, "U2T" for the card's.
     */
    void sscmac(byte[] prefix, byte[] algorithms, short algOff, byte containerSize, byte[] out, short outOff) {
        AesCmac cmac = crypto.cmac;
        cmac.init(s, S_MAC, KEY_LENGTH);
        cmac.update(prefix, (short) 0, (short) prefix.length);
        cmac.update(s, CSA_ID, ID_LENGTH);
        cmac.update(algorithms, algOff, (short) 2);
        cmac.update(containerSize);
        cmac.doFinal(out, outOff);
    }

    /** The CSA terminate MAC {@code CMAC(S-MAC, "TERM" ‖ CSA_ID)}, 16 bytes. */
    void terminateMac(byte[] out, short outOff) {
        AesCmac cmac = crypto.cmac;
        cmac.init(s, S_MAC, KEY_LENGTH);
        cmac.update(TERMINATE, (short) 0, (short) TERMINATE.length);
        cmac.update(s, CSA_ID, ID_LENGTH);
        cmac.doFinal(out, outOff);
    }

    /** The MSA terminate MAC {@code CMAC(Kmsa, "TERM" ‖ MSA_ID)}, 16 bytes (no CSA needed). */
    static void masterTerminateMac(CardCrypto crypto, byte[] kmsa, short kmsaOff, short kmsaLen,
                                   byte[] msaId, short idOff, byte[] out, short outOff) {
        crypto.cmac.init(kmsa, kmsaOff, kmsaLen);
        crypto.cmac.update(TERMINATE, (short) 0, (short) TERMINATE.length);
        crypto.cmac.update(msaId, idOff, MasterSa.ID_LENGTH);
        crypto.cmac.doFinal(out, outOff);
    }

    /** Starts the secure channel: counters at 0 (the first message is 1), chains at zero. */
    void start(byte containerSize) {
        Util.arrayFillNonAtomic(s, COMMAND_COUNTER, (short) (SIZE - COMMAND_COUNTER), (byte) 0);
        s[CONTAINER] = containerSize;
        s[STATE] = STARTED;
    }

    /** Ends the CSA: every byte of it, keys included, is zeroed. */
    void clear() {
        Util.arrayFillNonAtomic(s, (short) 0, SIZE, (byte) 0);
    }
}
