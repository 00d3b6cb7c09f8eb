package org.m2muicc.card.platform;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The part of the UICC file system the platform owns (ETSI TS 102 221 clause 13):
 * MF 3F00, EF_DIR 2F00 (linear fixed, one record per application) and EF_ICCID 2FE2
 * (transparent, 10 bytes). Files inside an ADF belong to the application's applet.
 */
final class UiccFiles {
    static final int FID_MF = 0x3F00;
    static final int FID_DIR = 0x2F00;
    static final int FID_ICCID = 0x2FE2;
    static final int FID_ADF = 0x7FFF;
    static final int SFI_DIR = 0x1E;
    static final int SFI_ICCID = 0x02;

    private static final int LCSI_OPERATIONAL_ACTIVATED = 0x05;
    private static final int MIN_DIR_RECORD = 32;

    private final byte[] iccid;
    private final byte[][] dirRecords;
    private final int recordLength;

    UiccFiles(String iccidDigits, List<AppSpec> apps) {
        iccid = encodeIccid(iccidDigits);
        byte[][] entries = new byte[apps.size()][];
        int longest = MIN_DIR_RECORD;
        for (int i = 0; i < entries.length; i++) {
            entries[i] = dirEntry(apps.get(i));
            longest = Math.max(longest, entries[i].length);
        }
        recordLength = longest;
        dirRecords = new byte[entries.length][];
        for (int i = 0; i < entries.length; i++) {
            dirRecords[i] = Arrays.copyOf(entries[i], recordLength);
            Arrays.fill(dirRecords[i], entries[i].length, recordLength, (byte) 0xFF);
        }
    }

    /** ICCID as stored in EF_ICCID: BCD with swapped nibbles, padded with F, 10 bytes. */
    static byte[] encodeIccid(String digits) {
        String padded = (digits + "FFFFFFFFFFFFFFFFFFFF").substring(0, 20);
        byte[] out = new byte[10];
        for (int i = 0; i < 10; i++) {
            int first = Character.digit(padded.charAt(2 * i), 16);
            int second = Character.digit(padded.charAt(2 * i + 1), 16);
            out[i] = (byte) ((second << 4) | first);
        }
        return out;
    }

    /** EF_DIR application template: 61 L { 4F len AID, 50 len label }. */
    private static byte[] dirEntry(AppSpec app) {
        byte[] label = app.label().getBytes(StandardCharsets.UTF_8);
        byte[] body = label.length == 0 ? Tlv.of(0x4F, app.aid())
                : Tlv.concat(Tlv.of(0x4F, app.aid()), Tlv.of(0x50, label));
        return Tlv.of(0x61, body);
    }

    byte[] iccid() {
        return iccid.clone();
    }

    int recordCount() {
        return dirRecords.length;
    }

    int recordLength() {
        return recordLength;
    }

    /** Record n (1-based) of EF_DIR, or null if there is none. */
    byte[] dirRecord(int n) {
        return n >= 1 && n <= dirRecords.length ? dirRecords[n - 1].clone() : null;
    }

    /** FCP template (tag 62) of a platform file, or of the ADF of {@code app}. */
    byte[] fcp(CurrentFile file, InstalledApp app) {
        byte[] lcsi = Tlv.of(0x8A, new byte[] {LCSI_OPERATIONAL_ACTIVATED});
        byte[] body = switch (file) {
            case MF -> Tlv.concat(
                    Tlv.of(0x82, new byte[] {0x78, 0x21}),              // DF, shareable
                    Tlv.of(0x83, Tlv.u16(FID_MF)),
                    Tlv.of(0x81, Tlv.u16(iccid.length + recordCount() * recordLength)),
                    lcsi);
            case EF_DIR -> Tlv.concat(
                    Tlv.of(0x82, new byte[] {0x42, 0x21, 0x00, (byte) recordLength, (byte) recordCount()}),
                    Tlv.of(0x83, Tlv.u16(FID_DIR)),
                    Tlv.of(0x80, Tlv.u16(recordCount() * recordLength)),
                    Tlv.of(0x88, new byte[] {(byte) (SFI_DIR << 3)}),
                    lcsi);
            case EF_ICCID -> Tlv.concat(
                    Tlv.of(0x82, new byte[] {0x41, 0x21}),              // transparent EF
                    Tlv.of(0x83, Tlv.u16(FID_ICCID)),
                    Tlv.of(0x80, Tlv.u16(iccid.length)),
                    Tlv.of(0x88, new byte[] {(byte) (SFI_ICCID << 3)}),
                    lcsi);
            case ADF -> Tlv.concat(
                    Tlv.of(0x82, new byte[] {0x78, 0x21}),
                    Tlv.of(0x83, Tlv.u16(FID_ADF)),
                    Tlv.of(0x84, app.aidBytes()),
                    lcsi);
            case APP_FILE -> throw new IllegalArgumentException("files inside an ADF belong to the applet");
        };
        return Tlv.of(0x62, body);
    }
}
