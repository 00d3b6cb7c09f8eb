package org.m2muicc.card.platform;

/**
 * SELECT (INS A4) as a UICC handles it (ETSI TS 102 221 clause 11.1.1).
 *
 * <ul>
 *   <li>P1=04 by DF name: exact or right-truncated AID; the application's applet gets the
 *       SELECT (select() + process()) and becomes the channel's current application.</li>
 *   <li>P1=00 by FID: 3F00 MF, 2F00 EF_DIR, 2FE2 EF_ICCID, 7FFF the current ADF; other FIDs
 *       go to the current application's applet when its ADF is the current DF.</li>
 *   <li>P1=08/09 by path: the same files; paths into 7FFF go to the applet.</li>
 * </ul>
 * P2: 04 return the FCP, 0C no data (00 is treated as 04).
 */
final class Selector {
    private static final int P2_NO_DATA = 0x0C;

    private final Applications apps;
    private final UiccFiles files;
    private final AppletGateway gateway;

    Selector(Applications apps, UiccFiles files, AppletGateway gateway) {
        this.apps = apps;
        this.files = files;
        this.gateway = gateway;
    }

    ResponseApdu select(Channel ch, CommandApdu cmd) {
        int p2 = cmd.p2();
        // Only "first or only occurrence" and FCP / no data are supported.
        if ((p2 & ~0x0C) != 0 || (p2 & 0x0C) == 0x08) {
            return ResponseApdu.status(Sw.WRONG_P1P2);
        }
        return switch (cmd.p1()) {
            case 0x04 -> byName(ch, cmd);
            case 0x00 -> byFid(ch, cmd);
            case 0x08 -> byPath(ch, cmd);
            case 0x09 -> inAdf(ch) ? toApplet(ch, cmd) : byPath(ch, cmd);
            default -> inAdf(ch) ? toApplet(ch, cmd) : ResponseApdu.status(Sw.WRONG_P1P2);
        };
    }

    private ResponseApdu byName(Channel ch, CommandApdu cmd) {
        byte[] name = cmd.data();
        if (name.length == 0 || name.length > 16) {
            return ResponseApdu.status(Sw.WRONG_LENGTH);
        }
        InstalledApp app = apps.resolve(name);
        if (app == null) {
            return ResponseApdu.status(Sw.NOT_FOUND);
        }
        // The applet sees a plain short SELECT on the basic-channel class, whatever the
        // channel or length coding: jCardSim's APDU only recognises that form as a SELECT.
        CommandApdu forwarded = CommandApdu.shortCommand((byte) 0x00, cmd.ins(), (byte) cmd.p1(),
                (byte) cmd.p2(), name, cmd.hasLe());
        ResponseApdu r = gateway.select(ch, app, forwarded);
        if (r.isOk() && r.data().length == 0 && cmd.p2() != P2_NO_DATA) {
            return ResponseApdu.ok(files.fcp(CurrentFile.ADF, app));
        }
        return r;
    }

    private ResponseApdu byFid(Channel ch, CommandApdu cmd) {
        byte[] d = cmd.data();
        if (d.length == 0 && cmd.p2() == 0) {
            return selected(ch, CurrentFile.MF, 0x00); // ISO 7816-4: empty SELECT 0000 = MF
        }
        if (d.length != 2) {
            return ResponseApdu.status(Sw.WRONG_LENGTH);
        }
        int fid = ((d[0] & 0xFF) << 8) | (d[1] & 0xFF);
        return switch (fid) {
            case UiccFiles.FID_MF -> selected(ch, CurrentFile.MF, cmd.p2());
            case UiccFiles.FID_DIR -> selected(ch, CurrentFile.EF_DIR, cmd.p2());
            case UiccFiles.FID_ICCID -> selected(ch, CurrentFile.EF_ICCID, cmd.p2());
            case UiccFiles.FID_ADF -> ch.app == null ? ResponseApdu.status(Sw.NOT_FOUND)
                    : selected(ch, CurrentFile.ADF, cmd.p2());
            default -> inAdf(ch) ? toApplet(ch, cmd) : ResponseApdu.status(Sw.NOT_FOUND);
        };
    }

    /** Path from the MF (P1=08), MF itself optional at the start. */
    private ResponseApdu byPath(Channel ch, CommandApdu cmd) {
        byte[] d = cmd.data();
        if (d.length == 0 || d.length % 2 != 0) {
            return ResponseApdu.status(Sw.WRONG_LENGTH);
        }
        int start = fidAt(d, 0) == UiccFiles.FID_MF ? 2 : 0;
        int elements = (d.length - start) / 2;
        if (elements == 0) {
            return selected(ch, CurrentFile.MF, cmd.p2());
        }
        int first = fidAt(d, start);
        if (first == UiccFiles.FID_ADF) {
            if (ch.app == null) {
                return ResponseApdu.status(Sw.NOT_FOUND);
            }
            return elements == 1 ? selected(ch, CurrentFile.ADF, cmd.p2()) : toApplet(ch, cmd);
        }
        if (elements == 1 && first == UiccFiles.FID_DIR) {
            return selected(ch, CurrentFile.EF_DIR, cmd.p2());
        }
        if (elements == 1 && first == UiccFiles.FID_ICCID) {
            return selected(ch, CurrentFile.EF_ICCID, cmd.p2());
        }
        return ResponseApdu.status(Sw.NOT_FOUND);
    }

    /** A file of the applet's own file system (inside its ADF). */
    private ResponseApdu toApplet(Channel ch, CommandApdu cmd) {
        ResponseApdu r = gateway.send(ch, cmd);
        if (Sw.carriesData(r.sw())) {
            ch.file = CurrentFile.APP_FILE;
        }
        return r;
    }

    private ResponseApdu selected(Channel ch, CurrentFile file, int p2) {
        ch.file = file;
        return p2 == P2_NO_DATA ? ResponseApdu.status(Sw.OK) : ResponseApdu.ok(files.fcp(file, ch.app));
    }

    private static boolean inAdf(Channel ch) {
        return ch.app != null && !ch.file.underMf();
    }

    private static int fidAt(byte[] d, int off) {
        return ((d[off] & 0xFF) << 8) | (d[off + 1] & 0xFF);
    }
}
