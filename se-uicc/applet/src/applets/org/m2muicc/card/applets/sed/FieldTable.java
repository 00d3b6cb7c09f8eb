package org.m2muicc.card.applets.sed;

/**
 * The layout of the M2M-SED's data fields (M2M-SED.md §2-§4): tag, allowed lengths and place
 * in the field area. The active store and the staging area share this layout, so COMMIT is a
 * field-by-field copy between two arrays.
 */
final class FieldTable {
    static final byte NODE_ID = 0;     // C1 M2M-Node-ID
    static final byte KMR_INDEX = 1;   // C2
    static final byte KMR_EXPIRY = 2;  // C3
    static final byte SCL_ID = 3;      // C4
    static final byte NSCL_LIST = 4;   // C5
    static final byte MAS_FQDN = 5;    // C6
    static final byte KMC_INDEX = 6;   // C7 (set by ACTIVATE KEY only)
    static final byte CONNECTION_ID = 7; // C8 (ACTIVATE KEY only)
    static final byte KMC_EXPIRY = 8;  // C9 (ACTIVATE KEY only)
    static final byte KMR = 9;         // D1
    static final byte KMC = 10;        // D2 (derived in the card only; no STORE DATA tag)
    static final byte KBS = 11;        // D3
    static final byte KMSA = 12;       // D4
    static final byte KIV = 13;        // D5
    static final byte COUNT = 14;

    /** Public data fields are C1..C9 (GET DATA shows them); the others are keys. */
    static final byte FIRST_KEY = KMR;

    static final byte[] TAG = {
        (byte) 0xC1, (byte) 0xC2, (byte) 0xC3, (byte) 0xC4, (byte) 0xC5, (byte) 0xC6,
        (byte) 0xC7, (byte) 0xC8, (byte) 0xC9,
        (byte) 0xD1, (byte) 0xD2, (byte) 0xD3, (byte) 0xD4, (byte) 0xD5,
    };
    /** GET DATA tag of each key's check value (E1 Kmr, E2 Kmc, E3 Kbs, E4 Kmsa, E5 Kiv). */
    static final byte[] KCV_TAG = {(byte) 0xE1, (byte) 0xE2, (byte) 0xE3, (byte) 0xE4, (byte) 0xE5};

    static final short[] MIN = {16, 4, 8, 1, 1, 1, 4, 8, 8, 32, 32, 32, 16, 32};
    static final short[] MAX = {16, 4, 8, 128, 255, 128, 4, 8, 8, 32, 32, 32, 16, 32};
    static final short[] OFFSET = {0, 16, 20, 28, 156, 411, 539, 543, 551, 559, 591, 623, 655, 671};
    static final short SIZE = 703;

    /** Mandatory for COMMIT (M2M-SED.md §3): C1..C6, Kmr, Kmsa. */
    static final byte[] MANDATORY = {NODE_ID, KMR_INDEX, KMR_EXPIRY, SCL_ID, NSCL_LIST, MAS_FQDN, KMR, KMSA};

    private FieldTable() {
    }

    /** The field a STORE DATA tag names (C1..C6, D1, D3, D4, D5), or -1. */
    static byte byStoreTag(byte tag) {
        switch (tag) {
            case (byte) 0xC1: return NODE_ID;
            case (byte) 0xC2: return KMR_INDEX;
            case (byte) 0xC3: return KMR_EXPIRY;
            case (byte) 0xC4: return SCL_ID;
            case (byte) 0xC5: return NSCL_LIST;
            case (byte) 0xC6: return MAS_FQDN;
            case (byte) 0xD1: return KMR;
            case (byte) 0xD3: return KBS;
            case (byte) 0xD4: return KMSA;
            case (byte) 0xD5: return KIV;
            default: return -1;
        }
    }

    static boolean lengthAllowed(byte field, short len) {
        return len >= MIN[field] && len <= MAX[field];
    }
}
