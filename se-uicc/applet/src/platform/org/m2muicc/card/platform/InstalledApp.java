package org.m2muicc.card.platform;

import javacard.framework.AID;
import javacard.framework.Applet;

/** An application instance on the card: its profile entry, jCardSim AID and applet object. */
record InstalledApp(AppSpec spec, AID aid, Applet applet) {
    byte[] aidBytes() {
        return spec.aid();
    }

    /** The applet's persistent state, or null if it keeps none across restarts. */
    PersistentState persistent() {
        return applet instanceof PersistentState p ? p : null;
    }
}
