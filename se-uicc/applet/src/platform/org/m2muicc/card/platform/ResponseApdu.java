package org.m2muicc.card.platform;

import java.util.Arrays;

/** A response: data and a 16-bit status word. */
record ResponseApdu(byte[] data, int sw) {
    private static final byte[] NONE = new byte[0];

    static ResponseApdu status(int sw) {
        return new ResponseApdu(NONE, sw);
    }

    static ResponseApdu ok(byte[] data) {
        return new ResponseApdu(data, Sw.OK);
    }

    boolean isOk() {
        return sw == Sw.OK;
    }

    byte[] toBytes() {
        byte[] out = Arrays.copyOf(data, data.length + 2);
        out[data.length] = (byte) (sw >>> 8);
        out[data.length + 1] = (byte) sw;
        return out;
    }
}
