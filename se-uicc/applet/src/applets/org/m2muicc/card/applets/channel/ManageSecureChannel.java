package org.m2muicc.card.applets.channel;

import org.m2muicc.card.applets.common.SedSw;
import org.m2muicc.card.applets.common.Tlv;

import org.m2muicc.card.applets.common.Apdus;
import javacard.framework.APDU;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;

/**
 * MANAGE SECURE CHANNEL (INS 73, TS 102 221 §11.1.20) as M2M-SED.md §5 codes it: the block
 * protocol around {@link SaOperations}.
 *
 * <pre>
 * P2 80 / 00   command block (first / next), at most 255 bytes; 63F1 while the '73' TLV is
 *              incomplete, then 62F3 (response ready) or 9000 (none)
 * P2 A0 / 20   response block (first / next), Le = wanted length; 62F1 while more remains,
 *              9000 with the last. P1 00 (retrieve endpoints) is only this.
 * </pre>
 */
public final class ManageSecureChannel {
    private static final short MAX_BLOCK = 255;

    private final MscBuffer buffer;
    private final SaOperations operations;

    public ManageSecureChannel(SaOperations operations) {
        this.operations = operations;
        buffer = new MscBuffer();
    }

    public void process(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        byte op = buf[ISO7816.OFFSET_P1];
        if (op < SaOperations.RETRIEVE_ENDPOINTS || op > SaOperations.TERMINATE) {
            ISOException.throwIt(SedSw.WRONG_P1P2);
        }
        switch (buf[ISO7816.OFFSET_P2]) {
            case (byte) 0x80:
                commandBlock(apdu, op, true);
                return;
            case (byte) 0x00:
                commandBlock(apdu, op, false);
                return;
            case (byte) 0xA0:
                responseBlock(apdu, op, true);
                return;
            case (byte) 0x20:
                responseBlock(apdu, op, false);
                return;
            default:
                ISOException.throwIt(SedSw.WRONG_P1P2);
        }
    }

    private void commandBlock(APDU apdu, byte op, boolean first) {
        if (op == SaOperations.RETRIEVE_ENDPOINTS) {
            ISOException.throwIt(SedSw.WRONG_P1P2); // case 2 only: no command data
        }
        short lc = Apdus.receiveAll(apdu);
        if (lc == 0 || lc > MAX_BLOCK) {
            ISOException.throwIt(SedSw.WRONG_LENGTH);
        }
        if (first) {
            buffer.beginCommand(op);
        } else if (!buffer.receiving(op)) {
            buffer.reset();
            ISOException.throwIt(SedSw.CONDITIONS); // a next block without its first one
        }
        if (!buffer.append(apdu.getBuffer(), apdu.getOffsetCdata(), lc)) {
            buffer.reset();
            ISOException.throwIt(SedSw.WRONG_DATA);
        }
        short total = buffer.announcedTotal();
        if (total == MscBuffer.MALFORMED || (total >= 0 && buffer.length() > total)) {
            buffer.reset();
            ISOException.throwIt(SedSw.WRONG_DATA);
        }
        if (total == MscBuffer.INCOMPLETE || buffer.length() < total) {
            ISOException.throwIt(SedSw.MORE_COMMAND_DATA);
        }
        // Complete: nothing stays pending if the operation fails.
        buffer.commandTaken();
        short valueOff = Tlv.valueOffset(buffer.command, (short) 0, total);
        short responseLength = operations.run(op, buffer.command, valueOff,
                (short) (total - valueOff), buffer.response);
        if (responseLength == 0) {
            buffer.reset();
            return; // 9000, no response
        }
        buffer.beginResponse(op, responseLength);
        ISOException.throwIt(SedSw.RESPONSE_READY);
    }

    private void responseBlock(APDU apdu, byte op, boolean first) {
        if (op == SaOperations.RETRIEVE_ENDPOINTS && first) {
            buffer.reset();
            buffer.beginResponse(op, operations.endpoints(buffer.response));
        } else if (!buffer.responding(op)) {
            ISOException.throwIt(SedSw.CONDITIONS); // no response waiting for this P1
        } else if (first) {
            buffer.rewind();
        }
        short ne = apdu.setOutgoing();
        if (ne <= 0) {
            ISOException.throwIt(SedSw.WRONG_LENGTH);
        }
        short remaining = buffer.remaining();
        short n = remaining < ne ? remaining : ne;
        apdu.setOutgoingLength(n);
        apdu.sendBytesLong(buffer.response, buffer.readOffset(), n);
        buffer.consumed(n);
        if (n < remaining) {
            ISOException.throwIt(SedSw.MORE_RESPONSE_DATA);
        }
        buffer.reset();
    }
}
