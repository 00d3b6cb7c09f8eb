package org.m2muicc.card.platform;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Implemented by every applet whose persistent (EEPROM) fields must survive an emulator
 * restart and take part in transaction rollback.
 *
 * <p>jCardSim keeps applet objects on the JVM heap only, so the platform asks each applet to
 * write its persistent fields explicitly instead of serialising objects by reflection. The
 * same pair of methods serves three purposes: the card image written after each command, the
 * snapshot taken by {@code JCSystem.beginTransaction()} and the restore done on abort/tear.
 *
 * <p>Rules for implementers:
 * <ul>
 *   <li>write only persistent state; transient (CLEAR_ON_RESET/DESELECT) arrays are not
 *       part of it, as on a real card;</li>
 *   <li>{@link #readState} must overwrite the existing objects in place (copy into the
 *       existing arrays) so that references the applet holds stay valid;</li>
 *   <li>bump {@link #stateVersion()} whenever the layout changes and keep reading the old
 *       versions that may exist in card images.</li>
 * </ul>
 */
public interface PersistentState {
    /** Layout version of what {@link #writeState} writes; stored next to the data. */
    int stateVersion();

    /** Writes every persistent field. */
    void writeState(DataOutput out) throws IOException;

    /**
     * Restores every persistent field from data written by {@link #writeState} with the
     * given layout version. Throw {@link IOException} for a version that cannot be read.
     */
    void readState(DataInput in, int version) throws IOException;
}
