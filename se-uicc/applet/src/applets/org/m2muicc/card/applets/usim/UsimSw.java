package org.m2muicc.card.applets.usim;

/** The status words of the USIM (USIM.md §3), in one place. */
final class UsimSw {
    /** AUTHENTICATE: MAC failure (TS 31.102 7.1). */
    static final short AUTHENTICATION_ERROR = (short) 0x9862;
    static final short WRONG_LENGTH = (short) 0x6700;
    static final short WRONG_STRUCTURE = (short) 0x6981;
    static final short SECURITY_STATUS = (short) 0x6982;
    static final short NO_EF_SELECTED = (short) 0x6986;
    /** Not personalised, locked, or (GBA) no bootstrap yet. */
    static final short CONDITIONS = (short) 0x6985;
    static final short WRONG_DATA = (short) 0x6A80;
    static final short FILE_NOT_FOUND = (short) 0x6A82;
    static final short RECORD_NOT_FOUND = (short) 0x6A83;
    static final short WRONG_P1P2 = (short) 0x6A86;
    static final short OFFSET_OUT_OF_FILE = (short) 0x6B00;
    static final short INS_NOT_SUPPORTED = (short) 0x6D00;
    static final short CLA_NOT_SUPPORTED = (short) 0x6E00;

    private UsimSw() {
    }
}
