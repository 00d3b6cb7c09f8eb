package org.m2muicc.card.applets.usim;

import javacard.framework.Shareable;

/**
 * The USIM's shareable interface for GBA_U keys (USIM.md §6): the M2M-SED obtains Ks_int_NAF for
 * the NAF_Id it names, so that Kmr (or Kmc) = Ks_int_NAF never crosses the terminal interface.
 * {@code UsimApplet.getShareableInterfaceObject} hands it out only to the M2M-SED's AID.
 *
 * <p>On a real card the arrays must be global (the APDU buffer) to cross the firewall; the
 * emulated UICC has no firewall and the M2M-SED passes its own buffers.
 */
public interface GbaKeyService extends Shareable {
    /**
     * Runs the NAF derivation of the current bootstrap for {@code nafId} and {@code impi} (both in
     * {@code in}), exactly as AUTHENTICATE in NAF derivation mode does (the USIM keeps the
     * Ks_int_NAF entry), and writes Ks_ext_NAF (32 bytes) to {@code out[extOff]} and Ks_int_NAF
     * (32 bytes) to {@code out[intOff]}. No bootstrap: ISOException 6985; lengths out of range:
     * 6A80.
     */
    void nafKeys(byte[] in, short nafIdOff, short nafIdLen, short impiOff, short impiLen,
                 byte[] ext, short extOff, byte[] internal, short intOff);
}
