package org.m2muicc.card.platform;

import java.util.ArrayList;
import java.util.List;

/** The table of logical channels 0-19; channel 0 is always open after power-on. */
final class Channels {
    private final Channel[] table = new Channel[Cla.MAX_CHANNELS];

    /** Power-on/reset state: only the basic channel, with the MF selected. */
    void reset() {
        closeAll();
        table[0] = new Channel(0);
    }

    /** Power off / card removed: nothing open. */
    void closeAll() {
        java.util.Arrays.fill(table, null);
    }

    Channel get(int number) {
        return number >= 0 && number < table.length ? table[number] : null;
    }

    /** Lowest closed channel above 0, or -1 when all are open. */
    int lowestFree() {
        for (int i = 1; i < table.length; i++) {
            if (table[i] == null) {
                return i;
            }
        }
        return -1;
    }

    Channel open(int number) {
        table[number] = new Channel(number);
        return table[number];
    }

    void close(int number) {
        table[number] = null;
    }

    List<Integer> openNumbers() {
        List<Integer> open = new ArrayList<>();
        for (Channel c : table) {
            if (c != null) {
                open.add(c.number);
            }
        }
        return open;
    }

    /** Whether {@code app} is the current application of a channel other than {@code except}. */
    boolean selectedElsewhere(InstalledApp app, int except) {
        for (Channel c : table) {
            if (c != null && c.number != except && c.app == app) {
                return true;
            }
        }
        return false;
    }
}
