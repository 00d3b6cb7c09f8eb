package org.m2muicc.card.applets.channel;

import javacard.framework.ISOException;

import org.m2muicc.card.applets.common.SedSw;

/**
 * The header rules every applet's inner commands share (M2M-SED.md §7, IV-SED.md §4): short
 * APDUs only, CLA 80..83.
 */
public final class InnerApdu {
    private InnerApdu() {
    }

    /**
     * Lc of the inner command {@code c[off..off+len)} (0 for case 1/2), after checking that the
     * length matches a short case 1..4 APDU (6700) and the class is proprietary (6E00). The data
     * start at {@code off + 5}.
     */
    public static short lc(byte[] c, short off, short len) {
        if (len < 4) {
            ISOException.throwIt(SedSw.WRONG_LENGTH);
        }
        short lc = 0;
        if (len > 5) {
            lc = (short) (c[(short) (off + 4)] & 0xFF);
            if (lc == 0 || (len != (short) (5 + lc) && len != (short) (6 + lc))) {
                ISOException.throwIt(SedSw.WRONG_LENGTH); // short APDUs only
            }
        }
        if ((byte) (c[off] & 0xFC) != (byte) 0x80) {
            ISOException.throwIt(SedSw.CLA_NOT_SUPPORTED);
        }
        return lc;
    }
}
