package org.m2muicc.card.applets.test;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

import javacard.framework.AID;
import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacardx.apdu.ExtendedLength;

import org.m2muicc.card.applets.common.Apdus;
import org.m2muicc.card.crypto.CardCrypto;
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
 *
 * Known-answer diagnostics: the card-side crypto of org.m2muicc.card.crypto (the very classes
 * the M2M-SED runs), so host tests can run published vectors through the real PC/SC stack.
 * Short or extended APDUs; malformed data gets 6700.
 * INS 50 AES_CMAC     data: key length (16/24/32) ‖ key ‖ message -> 16-byte CMAC
 * INS 51 KBKDF_CMAC   data: key (16) ‖ label length ‖ label ‖ context -> P1 × 16 bytes
 *                     (P1 = 00 counts as 1) of KBKDF counter mode with CMAC
 * INS 52 TLS12_PRF    data: secret length ‖ secret ‖ label length ‖ label ‖ seed -> P1 bytes
 *                     of PRF(secret, label, seed) with P_SHA256; P1 = 00: Le bytes (up to 1024)
 * INS 53 KCV          data: key (16 or 32) -> 3-byte key check value
 *
 * Firewall probe:
 * INS 60 ASK_SHAREABLE data: a server AID; P1 the parameter -> 01 if the server handed this
 *                     applet a shareable interface object, 00 if it refused (or no such AID)
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
    private static final byte INS_AES_CMAC = (byte) 0x50;
    private static final byte INS_KBKDF_CMAC = (byte) 0x51;
    private static final byte INS_TLS12_PRF = (byte) 0x52;
    private static final byte INS_KCV = (byte) 0x53;
    private static final byte INS_ASK_SHAREABLE = (byte) 0x60;
    private static final short KAT_OUTPUT = 1024;

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

    // Known-answer diagnostics: the shared card crypto and room for its output.
    private final CardCrypto crypto;
    private final byte[] katOutput;

    private TestApplet() {
        seenOnChannel = JCSystem.makeTransientByteArray(MAX_CHANNELS, JCSystem.CLEAR_ON_RESET);
        crypto = new CardCrypto();
        katOutput = JCSystem.makeTransientByteArray(KAT_OUTPUT, JCSystem.CLEAR_ON_DESELECT);
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
            case INS_ASK_SHAREABLE:
                askShareable(apdu);
                return;
            case INS_AES_CMAC:
            case INS_KBKDF_CMAC:
            case INS_TLS12_PRF:
            case INS_KCV:
                knownAnswer(apdu);
                return;
            default:
                ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
    }

    /** Whether the applet at the AID in the data grants this applet its shareable interface. */
    private void askShareable(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        short lc = apdu.setIncomingAndReceive();
        if (lc < 5 || lc > 16) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        AID server = JCSystem.lookupAID(buf, apdu.getOffsetCdata(), (byte) lc);
        boolean granted = server != null
                && JCSystem.getAppletShareableInterfaceObject(server, buf[ISO7816.OFFSET_P1]) != null;
        buf[0] = granted ? (byte) 1 : (byte) 0;
        apdu.setOutgoingAndSend((short) 0, (short) 1);
    }

    private void countCommand() {
        byte channel = UiccPlatform.currentChannel();
        if (channel >= 0 && channel < MAX_CHANNELS) {
            seenOnChannel[channel]++;
        }
    }

    /** Case 1/3: nothing back. Case 2: Ne bytes 00 01 02 ... Case 4: the data back. */
    private void echo(APDU apdu) {
        short lc = Apdus.receiveAll(apdu);
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
        short lc = Apdus.receiveAll(apdu);
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

    /** INS 50-53: one crypto primitive over the command data; see the class comment. */
    private void knownAnswer(APDU apdu) {
        short lc = Apdus.receiveAll(apdu);
        byte[] buf = apdu.getBuffer();
        short off = apdu.getOffsetCdata();
        short end = (short) (off + lc);
        short p1 = (short) (buf[ISO7816.OFFSET_P1] & 0xFF);
        short outLen;
        short ne = -1; // Le, once setOutgoing() has been called
        switch (buf[ISO7816.OFFSET_INS]) {
            case INS_AES_CMAC: {
                short keyLen = lc > 0 ? (short) (buf[off] & 0xFF) : -1;
                if ((keyLen != 16 && keyLen != 24 && keyLen != 32) || (short) (1 + keyLen) > lc) {
                    ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
                }
                short msg = (short) (off + 1 + keyLen);
                outLen = crypto.cmac.mac(buf, (short) (off + 1), keyLen, buf, msg, (short) (end - msg),
                        katOutput, (short) 0);
                break;
            }
            case INS_KBKDF_CMAC: {
                if (lc < 17 || (short) (17 + (buf[(short) (off + 16)] & 0xFF)) > lc) {
                    ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
                }
                short labelLen = (short) (buf[(short) (off + 16)] & 0xFF);
                short label = (short) (off + 17);
                short context = (short) (label + labelLen);
                outLen = (short) ((p1 == 0 ? 1 : p1) * 16);
                if (outLen > KAT_OUTPUT) {
                    ISOException.throwIt(ISO7816.SW_WRONG_P1P2);
                }
                crypto.kbkdf.derive(buf, off, (short) 16, buf, label, labelLen, buf, context,
                        (short) (end - context), katOutput, (short) 0, outLen);
                break;
            }
            case INS_TLS12_PRF: {
                short secretLen = lc > 0 ? (short) (buf[off] & 0xFF) : -1;
                short labelAt = (short) (off + 1 + secretLen);
                if (secretLen < 0 || labelAt >= end || (short) (labelAt + 1 + (buf[labelAt] & 0xFF)) > end) {
                    ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
                }
                short labelLen = (short) (buf[labelAt] & 0xFF);
                short seed = (short) (labelAt + 1 + labelLen);
                outLen = p1;
                if (p1 == 0) {
                    ne = apdu.setOutgoing(); // output length from Le (extended for > 255)
                    outLen = ne;
                }
                if (outLen <= 0 || outLen > KAT_OUTPUT) {
                    ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
                }
                crypto.prf.prf(buf, (short) (off + 1), secretLen, buf, (short) (labelAt + 1), labelLen,
                        buf, seed, (short) (end - seed), katOutput, (short) 0, outLen);
                break;
            }
            default: { // INS_KCV
                if (lc != 16 && lc != 32) {
                    ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
                }
                outLen = crypto.kcv.compute(buf, off, lc, katOutput, (short) 0);
                break;
            }
        }
        crypto.aes.clearKeys();
        if (ne < 0) {
            ne = apdu.setOutgoing();
        }
        if (ne > 0 && ne < outLen) {
            outLen = ne; // case 4 with a shorter Le: the first Le bytes, as ECHO does
        }
        apdu.setOutgoingLength(outLen);
        apdu.sendBytesLong(katOutput, (short) 0, outLen);
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
