package org.m2muicc.card.platform;

/** Status words the platform itself answers with (ISO 7816-4 / ETSI TS 102 221). */
final class Sw {
    static final int OK = 0x9000;
    static final int EOF_REACHED = 0x6282;          // fewer bytes than Le before end of file
    static final int WRONG_LENGTH = 0x6700;
    static final int CHANNEL_NOT_SUPPORTED = 0x6881; // logical channel not open
    static final int INCOMPATIBLE_FILE = 0x6981;
    static final int SECURITY_STATUS = 0x6982;
    static final int CONDITIONS_NOT_SATISFIED = 0x6985;
    static final int NO_CURRENT_EF = 0x6986;
    static final int FUNCTION_NOT_SUPPORTED = 0x6A81; // also: no free logical channel
    static final int NOT_FOUND = 0x6A82;
    static final int RECORD_NOT_FOUND = 0x6A83;
    static final int WRONG_P1P2 = 0x6A86;
    static final int WRONG_OFFSET = 0x6B00;
    static final int INS_NOT_SUPPORTED = 0x6D00;
    static final int CLA_NOT_SUPPORTED = 0x6E00;
    static final int UNKNOWN = 0x6F00;

    private Sw() {
    }

    /** ISO 7816-3: response data is only returned with these status words. */
    static boolean carriesData(int sw) {
        int sw1 = sw >>> 8;
        return sw1 == 0x61 || sw1 == 0x62 || sw1 == 0x63 || (sw1 >= 0x90 && sw1 <= 0x9F);
    }
}
