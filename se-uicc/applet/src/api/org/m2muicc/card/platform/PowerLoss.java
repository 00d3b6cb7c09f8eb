package org.m2muicc.card.platform;

/**
 * Thrown by {@link UiccPlatform#tearPoint(String)} when an injected power loss fires.
 *
 * <p>It is an {@link Error} so that applet code catching {@code Exception} (the usual Java Card
 * idiom for "anything went wrong") does not swallow it: on a real card nothing runs after the
 * power is cut. Only the platform catches it. The constructor is package-private for the same
 * reason: applets cannot fake a tear.
 */
public final class PowerLoss extends Error {
    private static final long serialVersionUID = 1L;

    private final String point;

    PowerLoss(String point) {
        super("power loss at tear point " + point, null, false, false);
        this.point = point;
    }

    /** The tear point at which the power was cut, or {@code "after-processing"}. */
    public String point() {
        return point;
    }
}
