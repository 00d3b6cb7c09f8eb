package org.m2muicc.card.applets.test;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacardx.apdu.ExtendedLength;

import org.m2muicc.card.platform.PersistentState;
import org.m2muicc.card.platform.UiccPlatform;

/**
 * Test applet for the emulated UICC: exercises APDU cases, extended length, persistence,
 * transactions with tear points and logical channels. Not meant for a real card.
 *
 * <pre>
 * INS 01 ECHO         case 1/3: 9000; case 2: Le bytes 00 01 02 ...; case 4: the data back
 * INS 02 ECHO_EXT     same as 01, up to 32767 bytes each way with extended APDUs
 * INS 10 INCREMENT    +1 on a persistent 4-byte big-endian counter, returns it
 * INS 11 READ_COUNTER returns the counter
 * INS 20 WRITE_PAIR   32 bytes: A = first 16, B = last 16, in one transaction with the
 *                     tear point "pair-between" between the two writes
 * INS 21 READ_PAIR    returns A || B
 * INS 30 CHANNEL_INFO returns [channel, commands this applet saw on that channel since reset]
 * INS 7F FAIL         throws an unchecked exception (exercises the platform's 6F00 path)
 * </pre>
 */
public final class TestApplet extends Applet implements ExtendedLength, PersistentState {
    private static final byte INS_ECHO = (byte) 0x01;
    private static final byte INS_ECHO_EXT = (byte) 0x02;
    private static final byte INS_INCREMENT = (byte) 0x10;
    private static final byte INS_READ_COUNTER = (byte) 0x11;
    private static final byte INS_WRITE_PAIR = (byte) 0x20;
    private static final byte INS_READ_PAIR = (byte) 0x21;
    private static final byte INS_CHANNEL_INFO = (byte) 0x30;
    private static final byte INS_FAIL = (byte) 0x7F;

    private static final short FIELD_LEN = 16;
    private static final short COUNTER_LEN = 4;
    private static final short MAX_CHANNELS = 20;
    private static final int STATE_VERSION = 1;

    // Persistent state (what writeState covers).
    private final byte[] counter = new byte[COUNTER_LEN];
    private final byte[] fieldA = new byte[FIELD_LEN];
    private final byte[] fieldB = new byte[FIELD_LEN];

    // Transient: cleared on every reset, so a test can tell channels apart within a session.
    private final byte[] seenOnChannel;

    private TestApplet() {
        seenOnChannel = JCSystem.makeTransientByteArray(MAX_CHANNELS, JCSystem.CLEAR_ON_RESET);
    }

    /** GlobalPlatform-style install data: [aidLen][instance AID][ctrlLen][ctrl][len][params]. */
    public static void install(byte[] bArray, short bOffset, byte bLength) {
        TestApplet applet = new TestApplet();
        if (bLength > 0 && bArray[bOffset] > 0) {
            applet.register(bArray, (short) (bOffset + 1), bArray[bOffset]);
        } else {
            applet.register();
        }
    }

    public void process(APDU apdu) {
        countCommand();
        if (selectingApplet()) {
            return;
        }
        byte[] buf = apdu.getBuffer();
        switch (buf[ISO7816.OFFSET_INS]) {
            case INS_ECHO:
            case INS_ECHO_EXT:
                echo(apdu);
                return;
            case INS_INCREMENT:
                increment();
                send(apdu, counter, COUNTER_LEN);
                return;
            case INS_READ_COUNTER:
                send(apdu, counter, COUNTER_LEN);
                return;
            case INS_WRITE_PAIR:
                writePair(apdu);
                return;
            case INS_READ_PAIR:
                readPair(apdu);
                return;
            case INS_CHANNEL_INFO:
                channelInfo(apdu);
                return;
            case INS_FAIL:
                throw new IllegalStateException("INS 7F: deliberate failure");
            default:
                ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
    }

    private void countCommand() {
        byte channel = UiccPlatform.currentChannel();
        if (channel >= 0 && channel < MAX_CHANNELS) {
            seenOnChannel[channel]++;
        }
    }

    /** Case 1/3: nothing back. Case 2: Ne bytes 00 01 02 ... Case 4: the data back. */
    private void echo(APDU apdu) {
        short lc = receiveAll(apdu);
        short dataOffset = apdu.getOffsetCdata(); // not callable once outgoing
        short ne = apdu.setOutgoing(); // 0 for case 1/3 commands
        if (ne <= 0) {
            return;
        }
        byte[] buf = apdu.getBuffer();
        if (lc > 0) {
            short len = lc < ne ? lc : ne;
            apdu.setOutgoingLength(len);
            apdu.sendBytesLong(buf, dataOffset, len);
            return;
        }
        sendCountingPattern(apdu, buf, ne);
    }

    /** Sends ne bytes 00 01 02 ... FF 00 ..., in APDU-buffer-sized pieces. */
    private static void sendCountingPattern(APDU apdu, byte[] buf, short ne) {
        apdu.setOutgoingLength(ne);
        short chunk = (short) (buf.length < 256 ? buf.length : 256);
        short sent = 0;
        while (sent < ne) {
            short n = (short) (ne - sent);
            if (n > chunk) {
                n = chunk;
            }
            for (short i = 0; i < n; i++) {
                buf[i] = (byte) (sent + i);
            }
            apdu.sendBytes((short) 0, n);
            sent += n;
        }
    }

    /** Receives the whole data field (extended APDUs may arrive in several blocks). */
    private static short receiveAll(APDU apdu) {
        short received = apdu.setIncomingAndReceive();
        short total = apdu.getIncomingLength();
        short off = apdu.getOffsetCdata();
        while (received < total) {
            short n = apdu.receiveBytes((short) (off + received));
            if (n <= 0) {
                break;
            }
            received += n;
        }
        return total;
    }

    private void increment() {
        // Big-endian +1 with carry; no transaction on purpose (tests rely on it).
        for (short i = (short) (COUNTER_LEN - 1); i >= 0; i--) {
            counter[i]++;
            if (counter[i] != 0) {
                break;
            }
        }
    }

    private void writePair(APDU apdu) {
        short lc = receiveAll(apdu);
        if (lc != (short) (2 * FIELD_LEN)) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        byte[] buf = apdu.getBuffer();
        short off = apdu.getOffsetCdata();
        JCSystem.beginTransaction();
        Util.arrayCopy(buf, off, fieldA, (short) 0, FIELD_LEN);
        UiccPlatform.tearPoint("pair-between");
        Util.arrayCopy(buf, (short) (off + FIELD_LEN), fieldB, (short) 0, FIELD_LEN);
        JCSystem.commitTransaction();
    }

    private void readPair(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        Util.arrayCopyNonAtomic(fieldA, (short) 0, buf, (short) 0, FIELD_LEN);
        Util.arrayCopyNonAtomic(fieldB, (short) 0, buf, FIELD_LEN, FIELD_LEN);
        apdu.setOutgoingAndSend((short) 0, (short) (2 * FIELD_LEN));
    }

    private void channelInfo(APDU apdu) {
        byte channel = UiccPlatform.currentChannel();
        byte[] buf = apdu.getBuffer();
        buf[0] = channel;
        buf[1] = (channel >= 0 && channel < MAX_CHANNELS) ? seenOnChannel[channel] : 0;
        apdu.setOutgoingAndSend((short) 0, (short) 2);
    }

    private static void send(APDU apdu, byte[] src, short len) {
        byte[] buf = apdu.getBuffer();
        Util.arrayCopyNonAtomic(src, (short) 0, buf, (short) 0, len);
        apdu.setOutgoingAndSend((short) 0, len);
    }

    // --- PersistentState -------------------------------------------------------------

    public int stateVersion() {
        return STATE_VERSION;
    }

    public void writeState(DataOutput out) throws IOException {
        out.write(counter);
        out.write(fieldA);
        out.write(fieldB);
    }

    public void readState(DataInput in, int version) throws IOException {
        if (version != STATE_VERSION) {
            throw new IOException("TestApplet state version " + version + " not supported");
        }
        in.readFully(counter);
        in.readFully(fieldA);
        in.readFully(fieldB);
    }
}
