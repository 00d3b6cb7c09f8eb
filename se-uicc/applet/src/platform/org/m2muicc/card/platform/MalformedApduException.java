package org.m2muicc.card.platform;

/** A command whose length bytes do not match its size; answered with 6700. */
final class MalformedApduException extends Exception {
    private static final long serialVersionUID = 1L;

    MalformedApduException(String why) {
        super(why);
    }
}
