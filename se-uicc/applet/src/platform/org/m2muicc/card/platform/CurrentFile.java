package org.m2muicc.card.platform;

/** What is selected on a channel, from the platform's point of view. */
enum CurrentFile {
    /** The master file 3F00. */
    MF,
    /** EF_DIR 2F00 under the MF (linear fixed). */
    EF_DIR,
    /** EF_ICCID 2FE2 under the MF (transparent). */
    EF_ICCID,
    /** The ADF of the channel's current application (7FFF). */
    ADF,
    /** A file the application selected inside its ADF; the applet owns it. */
    APP_FILE;

    /** True when the current DF is the MF, i.e. file commands are the platform's. */
    boolean underMf() {
        return this == MF || this == EF_DIR || this == EF_ICCID;
    }
}
