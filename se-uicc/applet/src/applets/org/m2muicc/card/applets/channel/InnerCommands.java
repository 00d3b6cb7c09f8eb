package org.m2muicc.card.applets.channel;

/**
 * The applet's commands that are reachable only as inner APDUs of its secure channel. The
 * inner command is at {@code c[off..off+len)}; the response data go to {@code out[outOff..)}, at
 * most {@link TransactData#MAX_INNER_RESPONSE} bytes; errors are thrown as ISOException, whose
 * reason becomes the protected inner status word.
 */
public interface InnerCommands {
    short run(byte[] c, short off, short len, byte[] out, short outOff);
}
