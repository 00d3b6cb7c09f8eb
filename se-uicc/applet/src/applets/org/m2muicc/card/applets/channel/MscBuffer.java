package org.m2muicc.card.applets.channel;

import org.m2muicc.card.applets.common.Tlv;

import javacard.framework.JCSystem;
import javacard.framework.Util;

/**
 * MANAGE SECURE CHANNEL chaining (M2M-SED.md §5): command blocks (P2 80 then 00) collected until
 * the '73' TLV is complete, then the response held for the response blocks (P2 A0 then 20).
 *
 * <p>The command area holds two full blocks: every command of the profile fits in one, and a
 * longer one is refused rather than buffered. The response area holds the largest response
 * (endpoints: 39 bytes with a 16-byte AID).
 */
final class MscBuffer {
    static final short COMMAND_CAPACITY = 510;
    static final short RESPONSE_CAPACITY = 64;

    static final short IDLE = 0;
    static final short RECEIVING = 1;
    static final short RESPONDING = 2;

    /** Returned by {@link #announcedTotal} while the '73' header is still incomplete. */
    static final short INCOMPLETE = -1;
    static final short MALFORMED = -2;

    private static final short PHASE = 0;
    private static final short OPERATION = 1;
    private static final short LENGTH = 2;
    private static final short RESPONSE_LENGTH = 3;
    private static final short READ_OFFSET = 4;

    final byte[] command;
    final byte[] response;
    private final short[] v;

    MscBuffer() {
        command = JCSystem.makeTransientByteArray(COMMAND_CAPACITY, JCSystem.CLEAR_ON_RESET);
        response = JCSystem.makeTransientByteArray(RESPONSE_CAPACITY, JCSystem.CLEAR_ON_RESET);
        v = JCSystem.makeTransientShortArray((short) 5, JCSystem.CLEAR_ON_RESET);
    }

    void reset() {
        Util.arrayFillNonAtomic(command, (short) 0, COMMAND_CAPACITY, (byte) 0);
        Util.arrayFillNonAtomic(response, (short) 0, RESPONSE_CAPACITY, (byte) 0);
        v[PHASE] = IDLE;
        v[OPERATION] = 0;
        v[LENGTH] = 0;
        v[RESPONSE_LENGTH] = 0;
        v[READ_OFFSET] = 0;
    }

    /** A first command block (P2 80): whatever was pending is dropped. */
    void beginCommand(short operation) {
        reset();
        v[PHASE] = RECEIVING;
        v[OPERATION] = operation;
    }

    boolean receiving(short operation) {
        return v[PHASE] == RECEIVING && v[OPERATION] == operation;
    }

    boolean responding(short operation) {
        return v[PHASE] == RESPONDING && v[OPERATION] == operation;
    }

    short length() {
        return v[LENGTH];
    }

    /** Appends a block; false when it does not fit. */
    boolean append(byte[] buf, short off, short len) {
        if (len > (short) (COMMAND_CAPACITY - v[LENGTH])) {
            return false;
        }
        Util.arrayCopyNonAtomic(buf, off, command, v[LENGTH], len);
        v[LENGTH] += len;
        return true;
    }

    /**
     * The size of the whole '73' TLV the first block announced, {@link #INCOMPLETE} while its
     * header is not all there, {@link #MALFORMED} if it is not a '73' with a definite length.
     */
    short announcedTotal() {
        short have = v[LENGTH];
        if (have < 2) {
            return command[0] == (byte) 0x73 || have == 0 ? INCOMPLETE : MALFORMED;
        }
        if (command[0] != (byte) 0x73) {
            return MALFORMED;
        }
        short first = (short) (command[1] & 0xFF);
        short header = first < 0x80 ? 2 : first == 0x81 ? 3 : first == 0x82 ? 4 : MALFORMED;
        if (header < 0) {
            return MALFORMED;
        }
        if (have < header) {
            return INCOMPLETE;
        }
        short value = Tlv.valueLength(command, (short) 0);
        if (value < 0 || value > (short) (COMMAND_CAPACITY - header)) {
            return MALFORMED;
        }
        return (short) (header + value);
    }

    /** The complete command is being executed: nothing is pending any more. */
    void commandTaken() {
        v[PHASE] = IDLE;
    }

    /** {@code length} response bytes are in {@link #response} for {@code operation}. */
    void beginResponse(short operation, short length) {
        v[PHASE] = RESPONDING;
        v[OPERATION] = operation;
        v[RESPONSE_LENGTH] = length;
        v[READ_OFFSET] = 0;
    }

    /** P2 A0 again: the response is read from its start. */
    void rewind() {
        v[READ_OFFSET] = 0;
    }

    short readOffset() {
        return v[READ_OFFSET];
    }

    short remaining() {
        return (short) (v[RESPONSE_LENGTH] - v[READ_OFFSET]);
    }

    void consumed(short n) {
        v[READ_OFFSET] += n;
    }
}
