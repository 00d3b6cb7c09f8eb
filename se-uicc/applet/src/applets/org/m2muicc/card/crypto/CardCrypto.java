package org.m2muicc.card.crypto;

/**
 * The card-side crypto an applet needs, built once at install time (Java Card allocates
 * objects only then). The M2M-SED and the test applet's known-answer diagnostics both use this,
 * so the diagnostics test exactly the code the secure channel and the TLS computations run.
 */
public final class CardCrypto {
    public final Aes aes;
    public final AesCmac cmac;
    public final KbkdfCmac kbkdf;
    public final TlsPrf prf;
    public final Kcv kcv;

    public CardCrypto() {
        aes = new Aes();
        cmac = new AesCmac(aes);
        kbkdf = new KbkdfCmac(cmac);
        prf = new TlsPrf();
        kcv = new Kcv(aes);
    }
}
