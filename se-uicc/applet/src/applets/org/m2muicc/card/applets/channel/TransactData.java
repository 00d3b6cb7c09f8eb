package org.m2muicc.card.applets.channel;

import org.m2muicc.card.applets.common.SedSw;
import org.m2muicc.card.applets.common.Tlv;

import org.m2muicc.card.applets.common.Apdus;
import javacard.framework.APDU;
import javacard.framework.CardRuntimeException;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;

import org.m2muicc.card.crypto.CardCrypto;

/**
 * TRANSACT DATA (INS 75, TS 102 221 §11.1.21) as M2M-SED.md §7 codes it: the block protocol
 * that carries one secured message each way, session number 0.
 *
 * <pre>
 * P1 04  command block, P2 = blocks still to come: 92 00 until the last, then 92 NN
 * P1 00  response block, Le = its length: 92 NN while NN more remain, 90 00 with the last
 * P1 02  abort: drops the transaction's data, the CSA stays
 * </pre>
 * Any protection failure or out-of-sequence block ends the CSA with 6982: nothing is retried
 * inside a broken CSA. Without a live started CSA every TRANSACT DATA gets 9863.
 */
public final class TransactData {
    private static final byte P1_READ = 0x00;
    private static final byte P1_ABORT = 0x02;
    private static final byte P1_DATA = 0x04;
    public static final short MAX_INNER_RESPONSE = 256;

    private final SecureChannel channel;
    private final SecuredMessage codec;
    private final InnerCommands commands;
    private final byte[] inner; // the inner response data ‖ SW, before protection

    public TransactData(SecureChannel channel, CardCrypto crypto, InnerCommands commands) {
        this.channel = channel;
        this.codec = new SecuredMessage(crypto, channel.connection);
        this.commands = commands;
        inner = JCSystem.makeTransientByteArray((short) (MAX_INNER_RESPONSE + 2), JCSystem.CLEAR_ON_RESET);
    }

    public void process(APDU apdu) {
        if (!channel.connection.isStarted()) {
            ISOException.throwIt(SedSw.EXPIRED);
        }
        byte[] buf = apdu.getBuffer();
        switch (buf[ISO7816.OFFSET_P1]) {
            case P1_DATA:
                commandBlock(apdu, (short) (buf[ISO7816.OFFSET_P2] & 0xFF));
                return;
            case P1_READ:
                responseBlock(apdu);
                return;
            case P1_ABORT:
                channel.transfer.reset();
                return;
            default:
                ISOException.throwIt(SedSw.WRONG_P1P2);
        }
    }

    private void commandBlock(APDU apdu, short p2) {
        short lc = Apdus.receiveAll(apdu);
        TransferBuffer t = channel.transfer;
        if (lc == 0 || lc > channel.connection.containerSize() || t.phase() == TransferBuffer.RESPONDING) {
            fail();
        }
        if (t.phase() == TransferBuffer.IDLE) {
            t.beginMessage(p2);
        } else if (p2 != t.nextP2()) {
            fail();
        }
        if (lc > (short) (TransferBuffer.CAPACITY - t.length())) {
            fail();
        }
        Util.arrayCopyNonAtomic(apdu.getBuffer(), apdu.getOffsetCdata(), t.buffer, t.length(), lc);
        if (p2 != 0) {
            t.received(lc, (short) (p2 - 1));
            ISOException.throwIt(SedSw.BLOCKS_PENDING); // 92 00: block taken, send the next
        }
        t.received(lc, (short) 0);
        short blocks = processMessage(t);
        ISOException.throwIt((short) (SedSw.BLOCKS_PENDING | blocks));
    }

    /** Opens the message, runs the inner command, protects its response; returns the block count. */
    private short processMessage(TransferBuffer t) {
        byte[] b = t.buffer;
        short len = t.length();
        short v = Tlv.valueOffset(b, (short) 0, len);
        if (v < 0 || b[0] != SecuredMessage.TAG || (short) (v + Tlv.valueLength(b, (short) 0)) != len) {
            fail();
        }
        short ptLen = codec.unwrap(b, v, (short) (len - v), (byte) t.firstP2());
        if (ptLen < 0) {
            fail();
        }
        short ptOff = (short) (v + ConnectionSa.COUNTER_LENGTH);

        short dataLen = 0;
        short sw = SedSw.OK;
        try {
            dataLen = commands.run(b, ptOff, ptLen, inner, (short) 0);
        } catch (ISOException e) {
            sw = e.getReason();
        } catch (CardRuntimeException e) {
            sw = SedSw.UNKNOWN; // a crypto or system error inside the inner command
        }
        if (sw != SedSw.OK) {
            dataLen = 0;
            if (JCSystem.getTransactionDepth() != 0) {
                JCSystem.abortTransaction();
            }
        }
        Util.setShort(inner, dataLen, sw);
        Util.arrayFillNonAtomic(b, (short) 0, TransferBuffer.CAPACITY, (byte) 0);
        short tlvLen = codec.wrap(inner, (short) 0, (short) (dataLen + 2), b);
        Util.arrayFillNonAtomic(inner, (short) 0, (short) (MAX_INNER_RESPONSE + 2), (byte) 0);
        short blocks = SecuredMessage.blocks(tlvLen, channel.connection.containerSize());
        t.beginResponse(tlvLen, blocks);
        return blocks;
    }

    private void responseBlock(APDU apdu) {
        TransferBuffer t = channel.transfer;
        if (t.phase() != TransferBuffer.RESPONDING) {
            fail();
        }
        short n = (short) (t.length() - t.readOffset());
        short container = channel.connection.containerSize();
        if (n > container) {
            n = container;
        }
        Apdus.send(apdu, t.buffer, t.readOffset(), n); // a shorter Le: 6Cxx, block kept
        t.blockRead(n);
        short left = t.blocksLeft();
        if (left == 0) {
            t.reset();
            return;
        }
        ISOException.throwIt((short) (SedSw.BLOCKS_PENDING | left));
    }

    /** A protection or sequence failure: the CSA ends, 6982. */
    private void fail() {
        channel.endConnection();
        ISOException.throwIt(SedSw.SECURITY_STATUS);
    }
}
