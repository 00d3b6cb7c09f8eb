package org.m2muicc.card.platform;

import java.nio.file.Path;

/** Command line of the emulator; see {@link #USAGE}. */
final class Options {
    static final String USAGE = """
            usage: java -cp jcardsim.jar:m2m-uicc-card.jar org.m2muicc.card.platform.Main [options]
              --profile FILE       card profile (java.util.Properties); default: built-in test profile
              --image FILE         card image: persistent applet state, loaded and kept up to date
              --slot N             reader slot: vpcd port 35963+N, control port 35990+N (default 0)
              --vpcd-host HOST     vpcd host (overrides card.vpcd.host)
              --vpcd-port PORT     vpcd port (overrides card.vpcd.port and --slot)
              --control-port PORT  control port (overrides card.control.port and --slot)
              --redact             never log data of proprietary-class commands and responses
              -v, -vv              more logging (debug: APDUs, trace: tear points)
            """;

    Path profile;
    Path image;
    int slot;
    String vpcdHost;
    Integer vpcdPort;
    Integer controlPort;
    boolean redact;
    Log.Level level = Log.Level.INFO;

    static Options parse(String[] args) {
        Options o = new Options();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--profile" -> o.profile = Path.of(value(args, ++i, a));
                case "--image" -> o.image = Path.of(value(args, ++i, a));
                case "--slot" -> o.slot = number(value(args, ++i, a), a);
                case "--vpcd-host" -> o.vpcdHost = value(args, ++i, a);
                case "--vpcd-port" -> o.vpcdPort = number(value(args, ++i, a), a);
                case "--control-port" -> o.controlPort = number(value(args, ++i, a), a);
                case "--redact" -> o.redact = true;
                case "-v", "--verbose" -> o.level = Log.Level.DEBUG;
                case "-vv" -> o.level = Log.Level.TRACE;
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        return o;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static int number(String text, String option) {
        try {
            int n = Integer.parseInt(text);
            if (n >= 0 && n <= 65535) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(option + ": not a valid number: " + text);
    }
}
