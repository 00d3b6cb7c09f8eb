package org.m2muicc.card.platform;

/**
 * MANAGE CHANNEL (INS 70), ISO 7816-4 / ETSI TS 102 221 clause 11.1.17.
 *
 * <pre>
 * P1=00 P2=00  open the lowest free channel, answer its number (1 byte); 6A81 if none
 * P1=00 P2=n   open channel n
 * P1=80 P2=n   close channel n (P2=00: the channel the command came on); 6881 if not open
 * </pre>
 * A channel opened from the basic channel starts with the MF selected; one opened from
 * another channel inherits that channel's selection (its application is selected on it).
 * In T=0 mode an "open" whose Le is not 01 gets 6C01 before anything is opened.
 */
final class ManageChannel {
    private final Channels channels;
    private final AppletGateway gateway;
    private final boolean t0;

    ManageChannel(Channels channels, AppletGateway gateway, boolean t0) {
        this.channels = channels;
        this.gateway = gateway;
        this.t0 = t0;
    }

    ResponseApdu handle(Channel origin, CommandApdu cmd) {
        return switch (cmd.p1()) {
            case 0x00 -> open(origin, cmd);
            case 0x80 -> close(cmd.p2() == 0 ? origin.number : cmd.p2());
            default -> ResponseApdu.status(Sw.WRONG_P1P2);
        };
    }

    private ResponseApdu open(Channel origin, CommandApdu cmd) {
        int requested = cmd.p2();
        int number = requested;
        if (requested == 0 && t0 && cmd.hasLe() && cmd.ne() != 1) {
            // T=0 answers a wrong Le with 6C01; checked first so that no channel is opened
            // by a command the terminal is going to repeat.
            return ResponseApdu.status(0x6C01);
        }
        if (requested == 0) {
            number = channels.lowestFree();
            if (number < 0) {
                return ResponseApdu.status(Sw.FUNCTION_NOT_SUPPORTED);
            }
        } else if (requested >= Cla.MAX_CHANNELS || channels.get(requested) != null) {
            return ResponseApdu.status(Sw.WRONG_P1P2);
        }
        Channel ch = channels.open(number);
        if (origin.number != 0) {
            ch.file = origin.file;
            if (origin.app != null && !gateway.selectWithoutCommand(ch, origin.app)) {
                channels.close(number);
                return ResponseApdu.status(Sw.CONDITIONS_NOT_SATISFIED);
            }
        }
        Log.debug("channel " + number + " opened");
        return requested == 0 ? ResponseApdu.ok(new byte[] {(byte) number}) : ResponseApdu.status(Sw.OK);
    }

    private ResponseApdu close(int number) {
        if (number == 0) {
            return ResponseApdu.status(Sw.WRONG_P1P2); // the basic channel cannot be closed
        }
        Channel ch = channels.get(number);
        if (ch == null) {
            return ResponseApdu.status(Sw.CHANNEL_NOT_SUPPORTED);
        }
        gateway.deselect(ch);
        channels.close(number);
        Log.debug("channel " + number + " closed");
        return ResponseApdu.status(Sw.OK);
    }
}
