package org.m2muicc.card.applets.channel;

import javacard.framework.JCSystem;
import javacard.framework.Util;

/**
 * The TRANSACT DATA chaining buffer (M2M-SED.md §7): collects the command blocks of one secured
 * message, then holds the secured response while the terminal reads it block by block.
 *
 * <p>Sized for the largest message the profile allows: a 1024-byte plaintext is 1040 bytes
 * padded, 1052 with counter and MAC, 1056 as TLV '86'. CLEAR_ON_RESET, like the CSA it serves.
 */
final class TransferBuffer {
    static final short MAX_PLAINTEXT = 1024;
    static final short CAPACITY = 1056;

    static final short IDLE = 0;
    static final short RECEIVING = 1;
    static final short RESPONDING = 2;

    private static final short PHASE = 0;
    private static final short LENGTH = 1;      // bytes received, or the response length
    private static final short NEXT_P2 = 2;     // P2 the next command block must carry
    private static final short FIRST_P2 = 3;    // P2 of the first block: blocks - 1, MACed
    private static final short READ_OFFSET = 4; // response bytes already read
    private static final short BLOCKS_LEFT = 5; // response blocks not read yet

    final byte[] buffer;
    private final short[] v;

    TransferBuffer() {
        buffer = JCSystem.makeTransientByteArray(CAPACITY, JCSystem.CLEAR_ON_RESET);
        v = JCSystem.makeTransientShortArray((short) 6, JCSystem.CLEAR_ON_RESET);
    }

    short phase() {
        return v[PHASE];
    }

    short length() {
        return v[LENGTH];
    }

    short firstP2() {
        return v[FIRST_P2];
    }

    short nextP2() {
        return v[NEXT_P2];
    }

    short readOffset() {
        return v[READ_OFFSET];
    }

    short blocksLeft() {
        return v[BLOCKS_LEFT];
    }

    /** Starts collecting a message whose first block has P2 = {@code p2}. */
    void beginMessage(short p2) {
        v[PHASE] = RECEIVING;
        v[LENGTH] = 0;
        v[FIRST_P2] = p2;
        v[NEXT_P2] = p2;
    }

    /** Records {@code n} bytes appended by the caller and the P2 expected next. */
    void received(short n, short nextP2) {
        v[LENGTH] += n;
        v[NEXT_P2] = nextP2;
    }

    /** The response of {@code length} bytes is in the buffer, in {@code blocks} blocks. */
    void beginResponse(short length, short blocks) {
        v[PHASE] = RESPONDING;
        v[LENGTH] = length;
        v[READ_OFFSET] = 0;
        v[BLOCKS_LEFT] = blocks;
    }

    /** One response block of {@code n} bytes has been sent. */
    void blockRead(short n) {
        v[READ_OFFSET] += n;
        v[BLOCKS_LEFT]--;
    }

    /** Drops the transaction's data (abort, end of the CSA, last block read). */
    void reset() {
        Util.arrayFillNonAtomic(buffer, (short) 0, CAPACITY, (byte) 0);
        v[PHASE] = IDLE;
        v[LENGTH] = 0;
        v[NEXT_P2] = 0;
        v[FIRST_P2] = 0;
        v[READ_OFFSET] = 0;
        v[BLOCKS_LEFT] = 0;
    }
}
