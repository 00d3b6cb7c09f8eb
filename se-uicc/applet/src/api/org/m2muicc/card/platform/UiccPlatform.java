package org.m2muicc.card.platform;

/**
 * The services the emulated UICC platform offers to applets, beyond the Java Card API.
 *
 * <p>This class is compiled for Java 8 together with the applets; the engine behind it is
 * plugged in at start-up through {@link PlatformHooks}. Without an engine (unit tests that
 * drive an applet through a bare jCardSim) every call is a harmless default.
 */
public final class UiccPlatform {
    private static volatile PlatformHooks hooks = PlatformHooks.NONE;

    private UiccPlatform() {
    }

    /**
     * The logical channel (0-19) the command being processed arrived on. jCardSim has no
     * channels of its own and the platform clears the channel bits from CLA before the applet
     * sees the command, so this is the only reliable source.
     */
    public static byte currentChannel() {
        return hooks.currentChannel();
    }

    /**
     * Marks a point between two steps of a multi-step update where a power loss may be
     * injected by the test instrument. A no-op unless the platform has been armed; when it
     * fires it throws {@link PowerLoss}, which applets must never catch.
     */
    public static void tearPoint(String name) {
        hooks.tearPoint(name);
    }

    /**
     * Copies EF_ICCID as stored (10 bytes, swapped-nibble BCD) to {@code dest} and returns its
     * length, 0 when no engine runs. A real UICC offers the same through the file view of
     * ETSI TS 102 241 ({@code uicc.access}), which jCardSim lacks.
     */
    public static short readIccid(byte[] dest, short offset) {
        return hooks.readIccid(dest, offset);
    }

    /** Plugs the engine in; package-private so that applets cannot replace it. */
    static void install(PlatformHooks engine) {
        hooks = engine == null ? PlatformHooks.NONE : engine;
    }
}
