package org.m2muicc.card.platform;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;

/**
 * The card profile: a {@link Properties} file describing one emulated UICC.
 *
 * <pre>
 * card.atr                 hex ATR (default: T=0 UICC ATR, see DEFAULT_ATR)
 * card.iccid               19-20 decimal digits, stored in EF_ICCID
 * card.t0                  true: T=0 transport behaviour (61xx/6Cxx/GET RESPONSE)
 * card.apps.N.aid          application AID (hex, 5-16 bytes); N orders EF_DIR
 * card.apps.N.class        applet class
 * card.apps.N.label        EF_DIR label
 * card.apps.N.params       optional hex install parameters
 * card.tear.reinsert_ms    delay before re-insertion after a tear (default 300)
 * card.vpcd.host / .port   where vpcd listens (127.0.0.1 / 35963 + slot)
 * card.control.port        control interface port (35990 + slot)
 * </pre>
 */
final class CardProfile {
    static final String DEFAULT_ATR = "3B9A96803FC7888031E073FE211382900000";
    static final String DEFAULT_ICCID = "8988211000000000018";
    static final String TEST_APPLET_AID = "F04D324D5445535401";
    static final String TEST_APPLET_CLASS = "org.m2muicc.card.applets.test.TestApplet";
    static final int VPCD_BASE_PORT = 35963;
    static final int CONTROL_BASE_PORT = 35990;

    final byte[] atr;
    final String iccid;
    final boolean t0;
    final List<AppSpec> apps;
    final int reinsertMs;
    final String vpcdHost;
    final Integer vpcdPort;      // null: derive from the slot
    final Integer controlPort;   // null: derive from the slot

    private CardProfile(Properties p) {
        atr = Hex.parse(p.getProperty("card.atr", DEFAULT_ATR));
        iccid = p.getProperty("card.iccid", DEFAULT_ICCID).trim();
        if (!iccid.matches("\\d{19,20}")) {
            throw new IllegalArgumentException("card.iccid must be 19-20 decimal digits: " + iccid);
        }
        t0 = Boolean.parseBoolean(p.getProperty("card.t0", "false").trim());
        apps = parseApps(p);
        reinsertMs = Integer.parseInt(p.getProperty("card.tear.reinsert_ms", "300").trim());
        vpcdHost = p.getProperty("card.vpcd.host", "127.0.0.1").trim();
        vpcdPort = optionalInt(p, "card.vpcd.port");
        controlPort = optionalInt(p, "card.control.port");
    }

    /** The profile used when none is given: the test applet, whole responses (card.t0=false). */
    static CardProfile defaults() {
        Properties p = new Properties();
        p.setProperty("card.apps.0.aid", TEST_APPLET_AID);
        p.setProperty("card.apps.0.class", TEST_APPLET_CLASS);
        p.setProperty("card.apps.0.label", "M2M test");
        return new CardProfile(p);
    }

    static CardProfile load(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        try {
            return new CardProfile(p);
        } catch (RuntimeException e) {
            throw new IOException("bad profile " + file + ": " + e.getMessage(), e);
        }
    }

    private static List<AppSpec> parseApps(Properties p) {
        TreeSet<Integer> indexes = new TreeSet<>();
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith("card.apps.")) {
                String rest = key.substring("card.apps.".length());
                int dot = rest.indexOf('.');
                if (dot > 0) {
                    indexes.add(Integer.parseInt(rest.substring(0, dot)));
                }
            }
        }
        List<AppSpec> list = new ArrayList<>();
        for (int i : indexes) {
            String prefix = "card.apps." + i + ".";
            String aidHex = required(p, prefix + "aid");
            byte[] aid = Hex.parse(aidHex);
            if (aid.length < 5 || aid.length > 16) {
                throw new IllegalArgumentException(prefix + "aid must be 5-16 bytes: " + aidHex);
            }
            String cls = required(p, prefix + "class");
            String label = p.getProperty(prefix + "label", "").trim();
            byte[] params = Hex.parse(p.getProperty(prefix + "params", ""));
            list.add(new AppSpec(aid, cls, label, params));
        }
        return List.copyOf(list);
    }

    private static String required(Properties p, String key) {
        String v = p.getProperty(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("missing " + key);
        }
        return v.trim();
    }

    private static Integer optionalInt(Properties p, String key) {
        String v = p.getProperty(key);
        return v == null || v.isBlank() ? null : Integer.valueOf(v.trim());
    }
}
