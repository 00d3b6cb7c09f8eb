package org.m2muicc.card.applets.common;

/**
 * The status words of the M2M-SED (M2M-SED.md), in one place so that every error path answers
 * the one the contract names.
 */
public final class SedSw {
    public static final short OK = (short) 0x9000;
    /** MSC: more command blocks expected. */
    public static final short MORE_COMMAND_DATA = (short) 0x63F1;
    /** MSC: response data ready for P2 A0. */
    public static final short RESPONSE_READY = (short) 0x62F3;
    /** MSC: more response data remains. */
    public static final short MORE_RESPONSE_DATA = (short) 0x62F1;
    /** TRANSACT DATA: 92 NN, NN response blocks waiting / still to come (92 00: block taken). */
    public static final short BLOCKS_PENDING = (short) 0x9200;
    /** VERIFY ADMIN: 63 Cx, x tries left. */
    public static final short TRIES_LEFT = (short) 0x63C0;

    public static final short WRONG_LENGTH = (short) 0x6700;
    public static final short SECURITY_STATUS = (short) 0x6982;
    public static final short BLOCKED = (short) 0x6983;
    public static final short CONDITIONS = (short) 0x6985;
    public static final short WRONG_DATA = (short) 0x6A80;
    public static final short WRONG_P1P2 = (short) 0x6A86;
    public static final short NOT_FOUND = (short) 0x6A88;
    public static final short INS_NOT_SUPPORTED = (short) 0x6D00;
    public static final short CLA_NOT_SUPPORTED = (short) 0x6E00;
    public static final short UNKNOWN = (short) 0x6F00;
    /** MSC start/terminate: wrong SSCMAC or terminate MAC. */
    public static final short AUTHENTICATION = (short) 0x9862;
    /** TRANSACT DATA without a live started CSA. */
    public static final short EXPIRED = (short) 0x9863;

    private SedSw() {
    }
}
