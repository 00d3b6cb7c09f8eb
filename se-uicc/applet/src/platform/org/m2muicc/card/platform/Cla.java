package org.m2muicc.card.platform;

/**
 * CLA byte decoding per ETSI TS 102 221 / ISO 7816-4.
 *
 * <p>First interindustry (0x00-0x3F) and proprietary 0x80-0xBF: channel in b2-b1 (0-3).
 * Further interindustry (0x40-0x7F) and proprietary 0xC0-0xFF: channel 4 + b4-b1 (4-19).
 */
final class Cla {
    static final int MAX_CHANNELS = 20;

    private Cla() {
    }

    static int channel(byte cla) {
        int c = cla & 0xFF;
        return (c & 0x40) == 0 ? c & 0x03 : 4 + (c & 0x0F);
    }

    /** The CLA as an applet sees it: channel bits cleared, the class coding kept. */
    static byte withoutChannel(byte cla) {
        int c = cla & 0xFF;
        return (byte) ((c & 0x40) == 0 ? c & ~0x03 : c & ~0x0F);
    }

    /** b8 = 0: commands whose meaning ISO/ETSI define (SELECT, READ BINARY, ...). */
    static boolean isInterindustry(byte cla) {
        return (cla & 0x80) == 0;
    }

    /** 0xFF is reserved for PPS and never a valid class. */
    static boolean isValid(byte cla) {
        return cla != (byte) 0xFF;
    }
}
