package org.m2muicc.card.platform;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

import com.licel.jcardsim.base.TransientMemory;

import javacard.framework.AID;

/**
 * jCardSim's transient memory, extended to remember which applet created each array.
 *
 * <p>jCardSim clears every CLEAR_ON_DESELECT array of every applet on any deselect. With
 * logical channels several applets are selected at once, so deselecting one of them must not
 * wipe the session state of the others: here only the deselected applet's arrays are cleared.
 */
final class OwnedTransientMemory extends TransientMemory {
    private final Map<Object, AID> owners = new IdentityHashMap<>();
    private Supplier<AID> ownerSource = () -> null;

    void setOwnerSource(Supplier<AID> source) {
        ownerSource = source;
    }

    @Override
    protected void storeArray(Object array, byte event) {
        super.storeArray(array, event);
        owners.put(array, ownerSource.get());
    }

    /** Zeroes the CLEAR_ON_DESELECT arrays created by {@code owner}. */
    void clearOnDeselect(AID owner) {
        List<Object> mine = new ArrayList<>();
        for (Object array : clearOnDeselect) {
            if (Objects.equals(owners.get(array), owner)) {
                mine.add(array);
            }
        }
        zero(mine);
    }
}
