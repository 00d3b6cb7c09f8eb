package org.m2muicc.card.platform;

/**
 * One application from the profile ({@code card.apps.<i>.*}).
 *
 * @param aid           instance AID (5-16 bytes)
 * @param className     fully qualified applet class, on the JVM class path
 * @param label         EF_DIR label
 * @param installParams application-specific install parameters (may be empty)
 */
record AppSpec(byte[] aid, String className, String label, byte[] installParams) {
    String aidHex() {
        return Hex.of(aid);
    }
}
