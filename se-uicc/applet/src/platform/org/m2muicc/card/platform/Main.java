package org.m2muicc.card.platform;

import java.io.IOException;

/**
 * Entry point of the emulated UICC: loads the profile, installs the applets (restoring the
 * card image), opens the control port and connects to vpcd. Runs until "shutdown" or SIGTERM;
 * both persist the card image first.
 */
public final class Main {
    private static final String RANDOM_SEED = "com.licel.jcardsim.randomdata.seed";
    private static final String RANDOM_SECURE = "com.licel.jcardsim.randomdata.secure";

    private Main() {
    }

    public static void main(String[] args) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.print(Options.USAGE);
            System.exit(2);
            return;
        }
        Log.setLevel(options.level);
        seedRandomData();
        try {
            run(options);
        } catch (IOException | RuntimeException e) {
            Log.error("cannot start the emulated card", e);
            System.exit(1);
        }
    }

    private static void run(Options o) throws IOException {
        CardProfile profile = o.profile == null ? CardProfile.defaults() : CardProfile.load(o.profile);
        String host = o.vpcdHost != null ? o.vpcdHost : profile.vpcdHost;
        int vpcdPort = firstOf(o.vpcdPort, profile.vpcdPort, CardProfile.VPCD_BASE_PORT + o.slot);
        int controlPort = firstOf(o.controlPort, profile.controlPort, CardProfile.CONTROL_BASE_PORT + o.slot);

        if (profile.reinsertMs < VpcdLink.MIN_ABSENCE_MS) {
            Log.info("card.tear.reinsert_ms=" + profile.reinsertMs + ": the card stays out at least "
                    + VpcdLink.MIN_ABSENCE_MS + " ms so that pcscd (400 ms presence polling) sees it leave");
        }
        TearController tear = new TearController();
        UiccCard card = UiccCard.create(profile, o.image, tear, o.redact);
        VpcdLink link = new VpcdLink(host, vpcdPort, card, profile.reinsertMs);
        ControlCommands commands = new ControlCommands(o.slot, card, link, tear);
        ControlServer control = new ControlServer(controlPort, commands, () -> {
            Log.info("shutdown requested");
            link.shutdown();
        });

        Runtime.getRuntime().addShutdownHook(new Thread(card::persist, "persist-on-exit"));
        control.start();
        Log.info("slot " + o.slot + ": card for vpcd " + host + ":" + vpcdPort + ", t0=" + profile.t0
                + ", image " + (card.imagePath() == null ? "none" : card.imagePath()));

        Thread linkThread = new Thread(link, "vpcd-link");
        linkThread.start();
        try {
            linkThread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        card.persist();
        control.close();
        System.exit(0);
    }

    /**
     * jCardSim's RandomData is an unseeded SHA-1 DRBG unless told otherwise, so every run would
     * hand out the same nonces and IDs. The fork's switch seeds it from SecureRandom; it is read
     * when a RandomData object is made (at applet install), so it must be set before that. An
     * explicit choice on the command line ({@code -D...randomdata.seed/secure}) is kept.
     */
    private static void seedRandomData() {
        if (System.getProperty(RANDOM_SEED) == null && System.getProperty(RANDOM_SECURE) == null) {
            System.setProperty(RANDOM_SECURE, "1");
        }
    }

    private static int firstOf(Integer cli, Integer profile, int derived) {
        return cli != null ? cli : profile != null ? profile : derived;
    }
}
