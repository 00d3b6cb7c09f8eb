package org.m2muicc.card.platform;

import java.io.ByteArrayOutputStream;

/** Minimal BER-TLV encoding (one-byte tags) for FCP templates and EF_DIR records. */
final class Tlv {
    private Tlv() {
    }

    static byte[] of(int tag, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(value.length + 4);
        out.write(tag);
        if (value.length < 0x80) {
            out.write(value.length);
        } else if (value.length <= 0xFF) {
            out.write(0x81);
            out.write(value.length);
        } else {
            out.write(0x82);
            out.write(value.length >>> 8);
            out.write(value.length);
        }
        out.writeBytes(value);
        return out.toByteArray();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] u16(int value) {
        return new byte[] {(byte) (value >>> 8), (byte) value};
    }
}
