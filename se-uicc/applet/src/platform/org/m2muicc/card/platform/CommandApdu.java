package org.m2muicc.card.platform;

import java.util.Arrays;

/**
 * A parsed command APDU (ISO 7816-4 cases 1-4, short and extended).
 *
 * <p>Parsing is strict and mirrors jCardSim's own {@code ApduCase} grammar, so that anything
 * accepted here is also accepted by jCardSim (which would otherwise throw outside its error
 * handling and leave the reader without an answer).
 *
 * @param raw      the command as received
 * @param data     the command data field (empty for cases 1 and 2)
 * @param ne       expected response length (Le decoded: 00 = 256, 0000 = 65536), 0 if absent
 * @param extended whether Lc/Le were coded on 3/2 bytes
 */
record CommandApdu(byte[] raw, byte[] data, int ne, boolean extended) {
    /** jCardSim reads the extended Lc as a signed short. */
    static final int MAX_EXTENDED_LC = 32767;

    static CommandApdu parse(byte[] raw) throws MalformedApduException {
        int len = raw.length;
        if (len < 4) {
            throw new MalformedApduException("command shorter than 4 bytes");
        }
        if (len == 4) {
            return new CommandApdu(raw, new byte[0], 0, false);
        }
        int b4 = raw[4] & 0xFF;
        if (len == 5) {
            return new CommandApdu(raw, new byte[0], b4 == 0 ? 256 : b4, false);
        }
        if (b4 != 0) {
            byte[] data = Arrays.copyOfRange(raw, 5, Math.min(len, 5 + b4));
            if (len == 5 + b4) {
                return new CommandApdu(raw, data, 0, false);
            }
            if (len == 6 + b4) {
                int le = raw[len - 1] & 0xFF;
                return new CommandApdu(raw, data, le == 0 ? 256 : le, false);
            }
            throw new MalformedApduException("Lc " + b4 + " does not match length " + len);
        }
        if (len == 7) {
            return new CommandApdu(raw, new byte[0], extendedLe(raw, 5), true);
        }
        if (len < 7) {
            throw new MalformedApduException("truncated extended length");
        }
        int lc = ((raw[5] & 0xFF) << 8) | (raw[6] & 0xFF);
        if (lc == 0 || lc > MAX_EXTENDED_LC) {
            throw new MalformedApduException("extended Lc " + lc + " out of range");
        }
        byte[] data = Arrays.copyOfRange(raw, 7, Math.min(len, 7 + lc));
        if (len == 7 + lc) {
            return new CommandApdu(raw, data, 0, true);
        }
        if (len == 9 + lc) {
            return new CommandApdu(raw, data, extendedLe(raw, len - 2), true);
        }
        throw new MalformedApduException("extended Lc " + lc + " does not match length " + len);
    }

    private static int extendedLe(byte[] raw, int off) {
        int le = ((raw[off] & 0xFF) << 8) | (raw[off + 1] & 0xFF);
        return le == 0 ? 65536 : le;
    }

    /** Builds a short command (used when the platform forwards a rewritten SELECT). */
    static CommandApdu shortCommand(byte cla, byte ins, byte p1, byte p2, byte[] data, boolean withLe) {
        byte[] raw = new byte[4 + (data.length > 0 ? 1 + data.length : 0) + (withLe ? 1 : 0)];
        raw[0] = cla;
        raw[1] = ins;
        raw[2] = p1;
        raw[3] = p2;
        if (data.length > 0) {
            raw[4] = (byte) data.length;
            System.arraycopy(data, 0, raw, 5, data.length);
        }
        // Le = 00 (256) is the last byte when requested; the array is already zeroed.
        return new CommandApdu(raw, data, withLe ? 256 : 0, false);
    }

    byte cla() {
        return raw[0];
    }

    byte ins() {
        return raw[1];
    }

    int p1() {
        return raw[2] & 0xFF;
    }

    int p2() {
        return raw[3] & 0xFF;
    }

    boolean hasData() {
        return data.length > 0;
    }

    boolean hasLe() {
        return ne > 0;
    }

    /** Same command with another CLA byte. */
    CommandApdu withCla(byte cla) {
        byte[] copy = raw.clone();
        copy[0] = cla;
        return new CommandApdu(copy, data, ne, extended);
    }

    /**
     * jCardSim holds Ne in a signed short, so an extended Le of 0000 (65536) or above 7FFF
     * reaches the applet as 0 or negative, i.e. "no data wanted". It cannot send more than
     * 32767 bytes anyway, so such an Le is handed to it as 7FFF.
     */
    CommandApdu withLeForJcardsim() {
        if (!extended || ne <= MAX_EXTENDED_LC) {
            return this;
        }
        byte[] copy = raw.clone();
        copy[copy.length - 2] = 0x7F;
        copy[copy.length - 1] = (byte) 0xFF;
        return new CommandApdu(copy, data, MAX_EXTENDED_LC, true);
    }

    /** "00A40400 07 A0000000871002" style text for logs; data elided when redacted. */
    String describe(boolean redactData) {
        String header = Hex.of(raw, 0, 4);
        if (!hasData()) {
            return hasLe() ? header + " Le=" + ne : header;
        }
        String body = redactData ? "<" + data.length + " bytes redacted>" : Hex.of(data);
        return header + " Lc=" + data.length + " " + body + (hasLe() ? " Le=" + ne : "");
    }
}
