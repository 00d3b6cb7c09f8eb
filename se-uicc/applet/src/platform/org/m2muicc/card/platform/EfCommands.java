package org.m2muicc.card.platform;

import java.util.Arrays;

/**
 * File access commands on the platform's own EFs (current DF = MF): READ BINARY on
 * EF_ICCID, READ RECORD on EF_DIR; updates are refused (the files are read-only here).
 */
final class EfCommands {
    static final byte INS_READ_BINARY = (byte) 0xB0;
    static final byte INS_READ_RECORD = (byte) 0xB2;
    private static final int SHORT_LE_MAX = 256;

    private final UiccFiles files;

    EfCommands(UiccFiles files) {
        this.files = files;
    }

    /** Whether the platform answers this INS while the current DF is the MF. */
    static boolean handles(byte ins) {
        return switch (ins) {
            // READ/UPDATE BINARY, READ/UPDATE RECORD, SEARCH RECORD, DEACTIVATE/ACTIVATE FILE
            case (byte) 0xB0, (byte) 0xB2, (byte) 0xD6, (byte) 0xDC, (byte) 0xA2, 0x04, 0x44 -> true;
            default -> false;
        };
    }

    ResponseApdu handle(Channel ch, CommandApdu cmd) {
        return switch (cmd.ins()) {
            case INS_READ_BINARY -> readBinary(ch, cmd);
            case INS_READ_RECORD -> readRecord(ch, cmd);
            default -> ResponseApdu.status(ch.file == CurrentFile.MF ? Sw.NO_CURRENT_EF : Sw.SECURITY_STATUS);
        };
    }

    private ResponseApdu readBinary(Channel ch, CommandApdu cmd) {
        int offset;
        if ((cmd.p1() & 0x80) != 0) { // P1 = 100 SFI: select the EF by short file identifier
            if ((cmd.p1() & 0x60) != 0 || !selectBySfi(ch, cmd.p1() & 0x1F)) {
                return ResponseApdu.status(Sw.NOT_FOUND);
            }
            offset = cmd.p2();
        } else {
            offset = (cmd.p1() << 8) | cmd.p2();
        }
        if (ch.file == CurrentFile.MF) {
            return ResponseApdu.status(Sw.NO_CURRENT_EF);
        }
        if (ch.file != CurrentFile.EF_ICCID) {
            return ResponseApdu.status(Sw.INCOMPATIBLE_FILE);
        }
        byte[] content = files.iccid();
        if (offset >= content.length) {
            return ResponseApdu.status(Sw.WRONG_OFFSET);
        }
        int available = content.length - offset;
        boolean maximum = cmd.ne() == 0 || isMaximumLe(cmd);
        int n = maximum ? Math.min(available, cmd.extended() ? 65536 : SHORT_LE_MAX) : Math.min(available, cmd.ne());
        byte[] data = Arrays.copyOfRange(content, offset, offset + n);
        // Le larger than what is left: the data there is, with "end of file reached".
        int sw = !maximum && cmd.ne() > available ? Sw.EOF_REACHED : Sw.OK;
        return new ResponseApdu(data, sw);
    }

    private ResponseApdu readRecord(Channel ch, CommandApdu cmd) {
        int sfi = cmd.p2() >>> 3;
        int mode = cmd.p2() & 0x07;
        if (mode != 0x04) { // only "absolute record P1" is supported
            return ResponseApdu.status(Sw.WRONG_P1P2);
        }
        if (sfi != 0 && !selectBySfi(ch, sfi)) {
            return ResponseApdu.status(Sw.NOT_FOUND);
        }
        if (ch.file == CurrentFile.MF) {
            return ResponseApdu.status(Sw.NO_CURRENT_EF);
        }
        if (ch.file != CurrentFile.EF_DIR) {
            return ResponseApdu.status(Sw.INCOMPATIBLE_FILE);
        }
        byte[] record = files.dirRecord(cmd.p1());
        if (record == null) {
            return ResponseApdu.status(Sw.RECORD_NOT_FOUND);
        }
        if (cmd.ne() != 0 && !isMaximumLe(cmd) && cmd.ne() != record.length) {
            return ResponseApdu.status(0x6C00 | (record.length & 0xFF)); // wrong Le: exact length
        }
        return ResponseApdu.ok(record);
    }

    private static boolean selectBySfi(Channel ch, int sfi) {
        if (sfi == UiccFiles.SFI_ICCID) {
            ch.file = CurrentFile.EF_ICCID;
            return true;
        }
        if (sfi == UiccFiles.SFI_DIR) {
            ch.file = CurrentFile.EF_DIR;
            return true;
        }
        return false;
    }

    /** Le = 00 (short) or 0000 (extended): "as much as there is". */
    private static boolean isMaximumLe(CommandApdu cmd) {
        return cmd.ne() == (cmd.extended() ? 65536 : SHORT_LE_MAX);
    }
}
