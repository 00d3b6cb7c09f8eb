package org.m2muicc.card.platform;

import java.util.Arrays;

/** Response data being handed out in GET RESPONSE pieces, and the SW that ends it. */
final class PendingResponse {
    private final byte[] data;
    private final int finalSw;
    private int offset;

    PendingResponse(byte[] data, int finalSw, int alreadySent) {
        this.data = data;
        this.finalSw = finalSw;
        this.offset = alreadySent;
    }

    int remaining() {
        return data.length - offset;
    }

    byte[] take(int n) {
        byte[] piece = Arrays.copyOfRange(data, offset, offset + n);
        offset += n;
        return piece;
    }

    int finalSw() {
        return finalSw;
    }
}
