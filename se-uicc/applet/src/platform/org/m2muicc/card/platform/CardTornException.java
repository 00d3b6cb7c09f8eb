package org.m2muicc.card.platform;

/** The card lost power in the middle of a command: no response, contact must be dropped. */
final class CardTornException extends Exception {
    private static final long serialVersionUID = 1L;

    final boolean stayOut;

    CardTornException(String point, boolean stayOut) {
        super("power lost at " + point);
        this.stayOut = stayOut;
    }
}
