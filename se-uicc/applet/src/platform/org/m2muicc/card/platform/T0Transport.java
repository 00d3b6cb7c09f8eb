package org.m2muicc.card.platform;

import java.util.Arrays;

/**
 * T=0 transport behaviour, applied to every response when the profile says {@code card.t0}.
 *
 * <p>vpcd carries whole APDUs, so a T=0 card's procedure has to be emulated at APDU level:
 * <ul>
 *   <li>case 4 (command data in, response data out): answer 61xx and keep the data for
 *       GET RESPONSE on that channel;</li>
 *   <li>case 2 whose Le differs from the data available: 6Cxx (xx = exact length). As on a
 *       real T=0 card the response is kept: the same command re-issued with Le = xx gets it
 *       without running again, so a stateful read (a block of a chained response) is not
 *       consumed twice. Any other command on the channel discards it;</li>
 *   <li>more than 256 bytes: 256 at a time, 61xx announcing the rest.</li>
 * </ul>
 * Extended-length commands pass through untouched (they have no T=0 form). With T=0 off,
 * responses leave whole and GET RESPONSE is just another command.
 */
final class T0Transport {
    static final byte INS_GET_RESPONSE = (byte) 0xC0;
    private static final int PIECE = 256;

    private final boolean enabled;

    T0Transport(boolean enabled) {
        this.enabled = enabled;
    }

    boolean enabled() {
        return enabled;
    }

    /**
     * The response kept by a 6Cxx answer on this channel, if {@code cmd} re-issues that command
     * with Le = xx; null otherwise. Either way the kept response is gone afterwards: a T=0 card
     * holds it only until the next command.
     */
    ResponseApdu reissued(Channel ch, CommandApdu cmd) {
        WrongLe kept = ch.wrongLe;
        ch.wrongLe = null;
        return kept != null && kept.reissuedBy(cmd) ? kept.response() : null;
    }

    /** Turns an APDU-level response into what a T=0 card would answer. */
    ResponseApdu shape(Channel ch, CommandApdu cmd, ResponseApdu r) {
        ch.pending = null;
        ch.wrongLe = null;
        int available = r.data().length;
        if (!enabled || cmd.extended() || available == 0) {
            return r;
        }
        if (!cmd.hasData() && available <= PIECE) { // case 2
            if (cmd.ne() == available) {
                return r;
            }
            // Re-issued with Le = xx, the command reads exactly what there is: a 6282 ("end of
            // file before Le bytes") that only reported the too-long Le becomes a plain 9000.
            ResponseApdu exact = r.sw() == Sw.EOF_REACHED ? new ResponseApdu(r.data(), Sw.OK) : r;
            ch.wrongLe = new WrongLe(Arrays.copyOf(cmd.raw(), 4), available, exact);
            return ResponseApdu.status(0x6C00 | (available & 0xFF));
        }
        if (!cmd.hasData()) { // case 2 with more than 256 bytes: first piece now
            PendingResponse pending = new PendingResponse(r.data(), r.sw(), 0);
            return piece(ch, pending, Math.min(cmd.ne(), PIECE));
        }
        ch.pending = new PendingResponse(r.data(), r.sw(), 0); // case 4
        return ResponseApdu.status(announce(available));
    }

    /** GET RESPONSE on a channel: the next piece of the data kept for it. */
    ResponseApdu getResponse(Channel ch, CommandApdu cmd) {
        PendingResponse pending = ch.pending;
        if (pending == null || cmd.hasData()) {
            ch.pending = null;
            return ResponseApdu.status(pending == null ? Sw.CONDITIONS_NOT_SATISFIED : Sw.WRONG_LENGTH);
        }
        if (cmd.p1() != 0 || cmd.p2() != 0) {
            return ResponseApdu.status(Sw.WRONG_P1P2);
        }
        int ne = cmd.ne() == 0 ? PIECE : cmd.ne();
        int rest = pending.remaining();
        if (ne > rest) {
            return ResponseApdu.status(0x6C00 | (rest & 0xFF)); // keep the data, ask again
        }
        return piece(ch, pending, ne);
    }

    private static ResponseApdu piece(Channel ch, PendingResponse pending, int n) {
        byte[] data = pending.take(n);
        if (pending.remaining() > 0) {
            ch.pending = pending;
            return new ResponseApdu(data, announce(pending.remaining()));
        }
        ch.pending = null;
        return new ResponseApdu(data, pending.finalSw());
    }

    /**
     * A case-2 response answered with 6Cxx, waiting for the command to come back with Le = xx.
     *
     * @param header   CLA INS P1 P2 of the command
     * @param length   xx, the exact length (256 for 6C00)
     * @param response the response the command produced
     */
    record WrongLe(byte[] header, int length, ResponseApdu response) {
        boolean reissuedBy(CommandApdu cmd) {
            return !cmd.hasData() && !cmd.extended() && cmd.ne() == length
                    && Arrays.equals(header, 0, 4, cmd.raw(), 0, 4);
        }
    }

    /** 61xx: xx more bytes are available (00 = 256 or more). */
    private static int announce(int remaining) {
        return 0x6100 | (remaining >= PIECE ? 0 : remaining);
    }
}
