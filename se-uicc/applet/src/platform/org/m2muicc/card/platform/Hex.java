package org.m2muicc.card.platform;

import java.util.HexFormat;

/** Hex helpers; upper case, as the rest of the project prints APDUs. */
final class Hex {
    private static final HexFormat FORMAT = HexFormat.of().withUpperCase();

    private Hex() {
    }

    static String of(byte[] bytes) {
        return FORMAT.formatHex(bytes);
    }

    static String of(byte[] bytes, int off, int len) {
        return FORMAT.formatHex(bytes, off, off + len);
    }

    /** Parses hex, ignoring blanks; throws IllegalArgumentException on anything else. */
    static byte[] parse(String text) {
        String compact = text.replaceAll("\\s+", "");
        if (compact.length() % 2 != 0) {
            throw new IllegalArgumentException("odd number of hex digits: " + text);
        }
        return FORMAT.parseHex(compact);
    }
}
