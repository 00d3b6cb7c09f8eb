package org.m2muicc.card.platform;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * The card image file: the persistent state of every applet, i.e. the card's EEPROM.
 *
 * <p>Format: magic "M2MUICC\0", int format version (1), int length, the applications' state
 * ({@link Applications#snapshot()}). Written atomically (temp file, fsync, rename, fsync of
 * the directory) so that killing the emulator never leaves a half-written image.
 */
final class CardImage {
    private static final byte[] MAGIC = {'M', '2', 'M', 'U', 'I', 'C', 'C', 0};
    private static final int FORMAT = 1;

    private final Path path;
    private byte[] written;   // last state on disk, to skip writes when nothing changed

    CardImage(Path path) {
        this.path = path.toAbsolutePath();
    }

    Path path() {
        return path;
    }

    /** The stored state, or null for a blank (factory-fresh) card. */
    byte[] load() throws IOException {
        if (!Files.exists(path)) {
            return null;
        }
        try (InputStream raw = Files.newInputStream(path);
             DataInputStream in = new DataInputStream(raw)) {
            byte[] magic = new byte[MAGIC.length];
            in.readFully(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new IOException(path + " is not a card image");
            }
            int format = in.readInt();
            if (format != FORMAT) {
                throw new IOException(path + ": unsupported image format " + format);
            }
            byte[] state = new byte[in.readInt()];
            in.readFully(state);
            written = state;
            return state;
        }
    }

    /** Writes the state if it differs from what is on disk; returns whether it wrote. */
    boolean storeIfChanged(byte[] state) throws IOException {
        if (Arrays.equals(state, written)) {
            return false;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(state.length + 16);
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(MAGIC);
        out.writeInt(FORMAT);
        out.writeInt(state.length);
        out.write(state);
        out.flush();
        writeAtomically(bytes.toByteArray());
        written = state.clone();
        return true;
    }

    private void writeAtomically(byte[] content) throws IOException {
        Path dir = path.getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + path.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.wrap(content);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
        }
        // The rename itself is only durable once the directory entry is flushed.
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            Log.debug("directory fsync not supported here: " + e.getMessage());
        }
    }
}
