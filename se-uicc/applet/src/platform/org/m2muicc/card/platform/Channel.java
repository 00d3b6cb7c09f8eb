package org.m2muicc.card.platform;

/** The state of one open logical channel: its selection and any T=0 response kept for it. */
final class Channel {
    final int number;
    /** The current application (its ADF), or null. Survives selecting MF/EFs, as on a UICC. */
    InstalledApp app;
    CurrentFile file = CurrentFile.MF;
    /** Response data waiting for GET RESPONSE (T=0 mode only), or null. */
    PendingResponse pending;
    /** The response behind a 6Cxx answer (T=0 mode only), until the next command; or null. */
    T0Transport.WrongLe wrongLe;

    Channel(int number) {
        this.number = number;
    }
}
