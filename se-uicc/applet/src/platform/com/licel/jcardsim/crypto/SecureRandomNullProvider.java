package com.licel.jcardsim.crypto;

import java.security.SecureRandom;

/**
 * Replaces jCardSim 3.0.6.0's class of the same name, which feeds key generation and ECDSA nonces
 * from an unseeded digest DRBG: every emulated card would get the same key pair and every
 * signature the same k, which gives away the private key from two signatures (IV-SED.md §6).
 * This one draws from the JVM's {@code SecureRandom}. It only works when the card jar comes
 * before the jCardSim jar on the class path (tools/cardsim/m2m-cardsim puts it there).
 */
class SecureRandomNullProvider extends SecureRandom {
    private static final long serialVersionUID = 1L;

    SecureRandomNullProvider() {
        super();
    }
}
