package org.m2muicc.card.platform;

import java.time.LocalTime;
import java.time.format.DateTimeFormatter;

/** Levelled logging to stderr; one line per event, prefixed with time and level. */
final class Log {
    enum Level { ERROR, WARN, INFO, DEBUG, TRACE }

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
    private static volatile Level threshold = Level.INFO;

    private Log() {
    }

    static void setLevel(Level level) {
        threshold = level;
    }

    static boolean enabled(Level level) {
        return level.compareTo(threshold) <= 0;
    }

    static void error(String msg) {
        log(Level.ERROR, msg);
    }

    static void error(String msg, Throwable t) {
        log(Level.ERROR, msg + ": " + t);
        if (enabled(Level.DEBUG)) {
            t.printStackTrace();
        }
    }

    static void warn(String msg) {
        log(Level.WARN, msg);
    }

    static void info(String msg) {
        log(Level.INFO, msg);
    }

    static void debug(String msg) {
        log(Level.DEBUG, msg);
    }

    static void trace(String msg) {
        log(Level.TRACE, msg);
    }

    private static void log(Level level, String msg) {
        if (enabled(level)) {
            System.err.println(LocalTime.now().format(TIME) + " " + level + " [cardsim] " + msg);
        }
    }
}
