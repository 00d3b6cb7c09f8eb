package org.m2muicc.card.applets.common;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

import javacard.framework.APDU;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;

import org.m2muicc.card.crypto.Aes;
import org.m2muicc.card.platform.UiccPlatform;

/**
 * The administrative code that guards personalisation (VERIFY ADMIN, M2M-SED.md §3, USIM.md §4): the code
 * from the install parameters, a retry counter of 3, and who is authenticated.
 *
 * <p>Tear safety: the counter is decremented in persistent memory, outside any transaction,
 * <em>before</em> the code is compared, and only a match puts it back to 3. Cutting the power
 * after a wrong guess therefore cannot win a free try (tear point {@code admin-verify} sits
 * right after the decrement to prove it).
 *
 * <p>Authentication belongs to a logical channel and lasts until reset or deselect there, so
 * it is a CLEAR_ON_RESET flag per channel, cleared by {@link #forget} on deselect.
 */
public final class AdminCode {
    public static final short CODE_LENGTH = 8;
    private static final short SW_BLOCKED = (short) 0x6983;
    private static final short SW_TRIES_LEFT = (short) 0x63C0;
    private static final byte MAX_TRIES = 3;
    private static final short CHANNELS = 20;
    private static final byte P2_ADMIN = (byte) 0x81;

    private final byte[] code = new byte[CODE_LENGTH];
    private byte tries = MAX_TRIES;
    private final byte[] authenticated;

    /**
     * GlobalPlatform-style install data {@code [aidLen][AID][ctrlLen][ctrl][len][params]} of an
     * applet whose params are the administrative code: the offset of the params. An AID outside
     * 5..16 bytes or params other than 8 bytes: 6A80, and nothing is installed.
     */
    public static short installParams(byte[] bArray, short bOffset) {
        short aidLen = (short) (bArray[bOffset] & 0xFF);
        short p = (short) (bOffset + 1 + aidLen);
        p = (short) (p + 1 + (bArray[p] & 0xFF));
        if (aidLen < 5 || aidLen > 16 || (short) (bArray[p] & 0xFF) != CODE_LENGTH) {
            ISOException.throwIt(ISO7816.SW_WRONG_DATA);
        }
        return (short) (p + 1);
    }

    public AdminCode(byte[] initial, short off) {
        Util.arrayCopy(initial, off, code, (short) 0, CODE_LENGTH);
        authenticated = JCSystem.makeTransientByteArray(CHANNELS, JCSystem.CLEAR_ON_RESET);
    }

    public byte triesRemaining() {
        return tries;
    }

    public boolean isAuthenticated() {
        short ch = UiccPlatform.currentChannel();
        return ch >= 0 && ch < CHANNELS && authenticated[ch] != 0;
    }

    /** Deselect on the current channel ends its authentication. */
    public void forget() {
        short ch = UiccPlatform.currentChannel();
        if (ch >= 0 && ch < CHANNELS) {
            authenticated[ch] = 0;
        }
    }

    /**
     * VERIFY ADMIN {@code 00 20 00 81 Lc code} (other P1-P2: 6A86). No data: reports the state
     * (9000 when this channel is authenticated, else 63Cx) without using a try.
     */
    public void verify(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        if (buf[ISO7816.OFFSET_P1] != 0 || buf[ISO7816.OFFSET_P2] != P2_ADMIN) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        short len = Apdus.receiveAll(apdu);
        short off = apdu.getOffsetCdata();
        if (tries == 0) {
            ISOException.throwIt(SW_BLOCKED);
        }
        if (len == 0) {
            if (!isAuthenticated()) {
                ISOException.throwIt((short) (SW_TRIES_LEFT | tries));
            }
            return;
        }
        if (len != CODE_LENGTH) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        forget();
        tries = (byte) (tries - 1); // persistent, before the comparison
        UiccPlatform.tearPoint("admin-verify");
        if (!Aes.equalsConstantTime(buf, off, code, (short) 0, CODE_LENGTH)) {
            ISOException.throwIt(tries == 0 ? SW_BLOCKED : (short) (SW_TRIES_LEFT | tries));
        }
        tries = MAX_TRIES;
        short ch = UiccPlatform.currentChannel();
        if (ch >= 0 && ch < CHANNELS) {
            authenticated[ch] = 1;
        }
    }

    // --- PersistentState part -------------------------------------------------------------

    public void write(DataOutput out) throws IOException {
        out.write(code);
        out.writeByte(tries);
    }

    public void read(DataInput in) throws IOException {
        in.readFully(code);
        tries = in.readByte();
    }
}
