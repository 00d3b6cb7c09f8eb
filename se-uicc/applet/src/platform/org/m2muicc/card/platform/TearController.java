package org.m2muicc.card.platform;

/**
 * The power-loss injector behind {@link UiccPlatform#tearPoint(String)}.
 *
 * <p>Armed from the control interface, consulted by the card thread. When the armed
 * condition is met it throws {@link PowerLoss} out of the applet; the platform then rolls
 * back any open transaction, keeps everything written outside one, and goes silent.
 */
final class TearController {
    static final String AFTER_PROCESSING = "after-processing";

    private TearSpec armed;
    private int apdusSinceArming;
    private int matches;          // matching tear points reached (this APDU, or overall for "point")
    private boolean inApdu;
    private boolean firedThisApdu;
    private boolean lastStayOut;
    private long tears;

    synchronized void arm(TearSpec spec) {
        armed = spec;
        apdusSinceArming = 0;
        matches = 0;
        Log.info("armed: " + spec);
    }

    synchronized void disarm() {
        armed = null;
    }

    synchronized boolean isArmed() {
        return armed != null;
    }

    synchronized long tears() {
        return tears;
    }

    synchronized void resetCounters() {
        tears = 0;
    }

    /** Whether the card should stay out after the last tear. */
    synchronized boolean lastStayOut() {
        return lastStayOut;
    }

    synchronized void beginApdu() {
        inApdu = true;
        firedThisApdu = false;
        if (armed != null) {
            apdusSinceArming++;
            if (armed.byApdu()) {
                matches = 0; // "occurrence" counts within the target APDU
            }
        }
    }

    synchronized void endApdu() {
        inApdu = false;
    }

    /** Called by applets through UiccPlatform.tearPoint. */
    synchronized void point(String name) {
        Log.trace("tear point " + name);
        if (!inApdu || armed == null) {
            return;
        }
        if (armed.byApdu() && apdusSinceArming != armed.apdu()) {
            return;
        }
        if (armed.point() != null && !armed.point().equals(name)) {
            return;
        }
        if (++matches == armed.occurrence()) {
            fire(name);
        }
    }

    /**
     * After a command was processed and before its response goes out: cuts the armed APDU
     * that reached no tear point, and re-raises a tear an applet wrongly caught.
     */
    synchronized void afterProcessing() {
        if (firedThisApdu) {
            Log.warn("an applet caught PowerLoss; the tear happens anyway");
            throw new PowerLoss(AFTER_PROCESSING);
        }
        if (armed != null && armed.byApdu() && apdusSinceArming == armed.apdu()) {
            fire(AFTER_PROCESSING);
        }
    }

    private void fire(String where) {
        lastStayOut = armed.stayOut();
        armed = null;
        firedThisApdu = true;
        tears++;
        throw new PowerLoss(where);
    }
}
