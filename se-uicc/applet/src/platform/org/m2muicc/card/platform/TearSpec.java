package org.m2muicc.card.platform;

/**
 * What an armed power loss waits for, parsed from a control line:
 * <pre>
 * tear apdu N [point NAME] [occurrence K] [stay-out]
 * tear point NAME [occurrence K] [stay-out]
 * </pre>
 *
 * @param apdu       for "tear apdu": the APDU to cut, counted from 1 after arming; 0 otherwise
 * @param point      the tear point name to wait for, or null for any
 * @param occurrence cut at the K-th matching tear point (1-based)
 * @param stayOut    stay removed after the tear instead of re-inserting
 */
record TearSpec(int apdu, String point, int occurrence, boolean stayOut) {
    boolean byApdu() {
        return apdu > 0;
    }

    /** Parses the words after "tear"; throws IllegalArgumentException with the reason. */
    static TearSpec parse(String[] words) {
        if (words.length < 2) {
            throw new IllegalArgumentException("usage: tear apdu N [point NAME] [occurrence K] [stay-out]"
                    + " | tear point NAME [occurrence K] [stay-out]");
        }
        int apdu = 0;
        String point = null;
        int occurrence = 1;
        boolean stayOut = false;
        int i;
        switch (words[0]) {
            case "apdu" -> apdu = positive(words[1], "apdu");
            case "point" -> point = words[1];
            default -> throw new IllegalArgumentException("tear: expected 'apdu' or 'point', got '" + words[0] + "'");
        }
        for (i = 2; i < words.length; i++) {
            switch (words[i]) {
                case "point" -> {
                    if (apdu == 0 || i + 1 >= words.length) {
                        throw new IllegalArgumentException("tear: 'point NAME' only after 'apdu N'");
                    }
                    point = words[++i];
                }
                case "occurrence" -> {
                    if (i + 1 >= words.length) {
                        throw new IllegalArgumentException("tear: 'occurrence' needs a number");
                    }
                    occurrence = positive(words[++i], "occurrence");
                }
                case "stay-out" -> stayOut = true;
                default -> throw new IllegalArgumentException("tear: unexpected '" + words[i] + "'");
            }
        }
        return new TearSpec(apdu, point, occurrence, stayOut);
    }

    private static int positive(String text, String what) {
        try {
            int n = Integer.parseInt(text);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through to the error below
        }
        throw new IllegalArgumentException("tear: " + what + " must be a positive number, got '" + text + "'");
    }
}
