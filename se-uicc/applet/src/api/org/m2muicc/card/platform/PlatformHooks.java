package org.m2muicc.card.platform;

/** What {@link UiccPlatform} delegates to; implemented by the engine (package-private). */
interface PlatformHooks {
    byte currentChannel();

    void tearPoint(String name);

    short readIccid(byte[] dest, short offset);

    /** Defaults used before an engine is installed: basic channel, tear points inert. */
    PlatformHooks NONE = new PlatformHooks() {
        public byte currentChannel() {
            return 0;
        }

        public void tearPoint(String name) {
        }

        public short readIccid(byte[] dest, short offset) {
            return 0;
        }
    };
}
