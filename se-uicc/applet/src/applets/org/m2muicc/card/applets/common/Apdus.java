package org.m2muicc.card.applets.common;

import javacard.framework.APDU;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;

/** APDU plumbing shared by the command handlers. */
public final class Apdus {
    private Apdus() {
    }

    /**
     * Receives the whole command data field (an extended APDU may arrive in several pieces)
     * and returns Lc; the data starts at {@code apdu.getOffsetCdata()}.
     */
    public static short receiveAll(APDU apdu) {
        short received = apdu.setIncomingAndReceive();
        short total = apdu.getIncomingLength();
        short off = apdu.getOffsetCdata();
        while (received < total) {
            short n = apdu.receiveBytes((short) (off + received));
            if (n <= 0) {
                ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
            }
            received += n;
        }
        return total;
    }

    /**
     * Sends {@code len} bytes of {@code src} as the response, if the command's Le allows it:
     * a shorter Le gets 6Cxx (the exact length, for up to 256 bytes) or 6700 (more than a
     * short response can carry: use an extended Le). {@code src} may be the APDU buffer itself.
     */
    public static void send(APDU apdu, byte[] src, short off, short len) {
        short ne = apdu.setOutgoing();
        if (ne < len) {
            ISOException.throwIt(len <= 256 ? (short) (0x6C00 | (len & 0xFF)) : ISO7816.SW_WRONG_LENGTH);
        }
        apdu.setOutgoingLength(len);
        if (src == apdu.getBuffer()) {
            apdu.sendBytes(off, len);
        } else {
            apdu.sendBytesLong(src, off, len);
        }
    }
}
