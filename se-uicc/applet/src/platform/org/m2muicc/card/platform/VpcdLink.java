package org.m2muicc.card.platform;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import jdk.net.ExtendedSocketOptions;

/**
 * The card's contact with the reader: a TCP client of vpcd (inside pcscd).
 *
 * <p>Wire format (both ways): 2-byte big-endian length, then the payload. A 1-byte payload
 * from vpcd is a control byte (0 power off, 1 power on, 2 reset, 4 get ATR - answered with
 * the ATR); anything longer is a command APDU, answered with the response APDU.
 *
 * <p>Being connected is being inserted: closing the socket is how the card leaves the
 * reader (pcscd then reports it removed). The link reconnects with a growing back-off when
 * vpcd is not there (pcscd not yet started or restarting), re-inserts itself after a tear,
 * and stays out after {@link #remove()} until {@link #insert()}.
 *
 * <p>A torn command gets no response: the socket is closed while vpcd waits for one. vpcd
 * (3.3, and upstream as of 2024) then reports the transmit as successful with an EMPTY
 * response (its recvFromVICC returns 0 for a closed socket), so the host sees a 0-byte
 * answer from SCardTransmit and SCARD_E_NOT_TRANSACTED / SCARD_W_REMOVED_CARD afterwards.
 * An orderly close is used on purpose: a TCP reset takes vpcd down a path that reads an
 * uninitialised length (a signed/unsigned comparison in recvFromVICC).
 */
final class VpcdLink implements Runnable {
    private static final int CTRL_POWER_OFF = 0;
    private static final int CTRL_POWER_ON = 1;
    private static final int CTRL_RESET = 2;
    private static final int CTRL_GET_ATR = 4;
    private static final long MIN_BACKOFF_MS = 250;
    private static final long MAX_BACKOFF_MS = 2000;
    private static final long STABLE_CONNECTION_MS = 2000;
    /**
     * pcscd polls a vpcd reader for presence every 400 ms. An absence shorter than that can
     * fall between two polls, and pcscd then never sees the card leave: no removal event, no
     * fresh power-on. So a card taken out (tear or "remove") stays out at least this long.
     */
    static final long MIN_ABSENCE_MS = 500;

    private final InetSocketAddress address;
    private final UiccCard card;
    private final int reinsertMs;
    private final Object lock = new Object();

    // Guarded by lock.
    private boolean wantInserted = true;
    private long reinsertAt;
    private boolean shutdown;
    private Socket socket;
    /** vpcd powered the card since it was inserted: pcscd has seen it (idle power-downs don't count). */
    private volatile boolean powered;

    VpcdLink(String host, int port, UiccCard card, int reinsertMs) {
        this.address = new InetSocketAddress(host, port);
        this.card = card;
        this.reinsertMs = reinsertMs;
    }

    // --- control (any thread) -------------------------------------------------------

    /** Pulls the card: the socket closes and the card stays out until {@link #insert()}. */
    void remove() {
        synchronized (lock) {
            wantInserted = false;
            if (socket != null) {
                reinsertAt = System.currentTimeMillis() + MIN_ABSENCE_MS;
            }
            closeSocket();
            lock.notifyAll();
        }
    }

    void insert() {
        synchronized (lock) {
            wantInserted = true; // no earlier than reinsertAt: see MIN_ABSENCE_MS
            lock.notifyAll();
        }
    }

    void shutdown() {
        synchronized (lock) {
            shutdown = true;
            closeSocket();
            lock.notifyAll();
        }
    }

    boolean inserted() {
        synchronized (lock) {
            return socket != null;
        }
    }

    /**
     * Whether vpcd has powered the card since it was (re-)inserted, i.e. the reader shows it.
     * pcscd powers an idle card down again after a grace period; that does not clear this.
     */
    boolean powered() {
        return powered && inserted();
    }

    // --- the link thread ------------------------------------------------------------

    @Override
    public void run() {
        long backoff = MIN_BACKOFF_MS;
        boolean reportedUnreachable = false;
        while (waitUntilWanted()) {
            Socket s = new Socket();
            try {
                s.connect(address, 2000);
                s.setTcpNoDelay(true);
            } catch (IOException e) {
                close(s);
                if (!reportedUnreachable) {
                    Log.info("vpcd at " + address + " not reachable (" + e.getMessage() + "); retrying");
                    reportedUnreachable = true;
                }
                pause(backoff);
                backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
                continue;
            }
            reportedUnreachable = false;
            if (!adopt(s)) {
                continue;
            }
            long since = System.currentTimeMillis();
            Log.info("card inserted (connected to vpcd " + address + ")");
            try {
                serve(s);
            } catch (CardTornException torn) {
                afterTear(torn);
                backoff = MIN_BACKOFF_MS;
                continue;
            } catch (IOException e) {
                if (connectionWanted()) {
                    Log.info("vpcd connection lost (" + e.getMessage() + "); reconnecting");
                    // A connection that dies at once must not turn into a busy loop.
                    backoff = System.currentTimeMillis() - since > STABLE_CONNECTION_MS
                            ? MIN_BACKOFF_MS : Math.min(backoff * 2, MAX_BACKOFF_MS);
                    pause(backoff);
                } else {
                    Log.info("card removed");
                }
            } finally {
                release(s);
                card.powerOff();
            }
        }
        Log.debug("vpcd link stopped");
    }

    private void serve(Socket s) throws IOException, CardTornException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()));
        while (true) {
            int len;
            try {
                len = in.readUnsignedShort();
            } catch (EOFException e) {
                throw new IOException("closed by vpcd");
            }
            acknowledgeNow(s);
            byte[] payload = new byte[len];
            in.readFully(payload);
            if (len == 1) {
                control(payload[0] & 0xFF, out);
            } else if (len > 1) {
                send(out, card.process(payload));
            }
        }
    }

    /**
     * Acknowledges the length prefix at once. vpcd (Debian 12's 3.3) sends the length and the
     * payload in two send() calls; Nagle holds the payload until the length is acknowledged, and
     * Linux delays that ACK by up to 40 ms: every APDU would cost about 45 ms instead of well
     * under 1 ms. TCP_QUICKACK sends the pending ACK now; Linux clears it again on its own, so it
     * is set after every length read. With a vpcd that sends both in one call (upstream's later
     * change) the payload is already here and this costs one setsockopt.
     */
    private static void acknowledgeNow(Socket s) {
        try {
            s.setOption(ExtendedSocketOptions.TCP_QUICKACK, true);
        } catch (IOException | UnsupportedOperationException e) {
            // Not Linux, or the option is gone: slower, still correct.
        }
    }

    private void control(int code, DataOutputStream out) throws IOException {
        switch (code) {
            case CTRL_POWER_OFF -> card.powerOff();
            case CTRL_POWER_ON -> {
                card.powerOn();
                powered = true;
            }
            case CTRL_RESET -> {
                card.reset();
                powered = true;
            }
            case CTRL_GET_ATR -> send(out, card.atr());
            default -> Log.warn("unknown vpcd control byte " + code + " ignored");
        }
    }

    private static void send(DataOutputStream out, byte[] payload) throws IOException {
        out.writeShort(payload.length);
        out.write(payload);
        out.flush();
    }

    private void afterTear(CardTornException torn) {
        synchronized (lock) {
            long absence = Math.max(reinsertMs, MIN_ABSENCE_MS);
            reinsertAt = System.currentTimeMillis() + absence;
            if (torn.stayOut) {
                wantInserted = false;
                Log.info("card torn and left out (stay-out); 'insert' brings it back");
            } else {
                Log.info("card torn; re-inserting in " + absence + " ms");
            }
        }
    }

    /** Blocks until the card should be in the reader; false once shut down. */
    private boolean waitUntilWanted() {
        synchronized (lock) {
            while (!shutdown) {
                long wait = reinsertAt - System.currentTimeMillis();
                if (wantInserted && wait <= 0) {
                    return true;
                }
                try {
                    lock.wait(wantInserted ? wait : 0);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return false;
        }
    }

    /** Sleeps, but wakes up early for remove/insert/shutdown. */
    private void pause(long ms) {
        synchronized (lock) {
            try {
                lock.wait(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private boolean adopt(Socket s) {
        synchronized (lock) {
            if (shutdown || !wantInserted) {
                close(s);
                return false;
            }
            socket = s;
            powered = false;
            return true;
        }
    }

    private boolean connectionWanted() {
        synchronized (lock) {
            return wantInserted && !shutdown;
        }
    }

    private void release(Socket s) {
        synchronized (lock) {
            if (socket == s) {
                socket = null;
                powered = false;
            }
        }
        close(s);
    }

    private void closeSocket() {
        if (socket != null) {
            close(socket);
        }
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // nothing to do: we are dropping it anyway
        }
    }
}
