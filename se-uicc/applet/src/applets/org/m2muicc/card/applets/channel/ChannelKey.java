package org.m2muicc.card.applets.channel;

/**
 * Where an applet keeps the pre-agreed Kmsa of its own TS 102 484 endpoint: each Secured
 * Environment Domain has its own key (M2M-SED.md §5, IV-SED.md §1), read in place, never copied.
 */
public interface ChannelKey {
    /** Whether the key is personalised (MANAGE SECURE CHANNEL '87' b8, and CSA establishment). */
    boolean hasKmsa();

    byte[] kmsaArray();

    short kmsaOffset();

    short kmsaLength();
}
