package org.m2muicc.card.platform;

import java.util.Arrays;

import com.licel.jcardsim.base.ApduCase;
import com.licel.jcardsim.base.SimulatorRuntime;

import javacard.framework.AID;
import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISOException;
import javacardx.apdu.ExtendedLength;

/**
 * The Java Card runtime under the UICC platform: jCardSim's runtime with real transactions
 * and a dispatch entry point that knows about logical channels.
 *
 * <p>jCardSim's own {@code transmitCommand} decides selection itself (one applet at a time,
 * 6999 for unknown AIDs) and swallows applet exceptions. The platform decides selection per
 * channel, so it calls {@link #dispatch} instead, which makes the channel's applet current
 * without a SELECT (as a MultiSelectable applet sees a channel switch) and reports exceptions.
 *
 * <p>Transactions: jCardSim only counts depth. Here {@link #beginTransaction()} snapshots the
 * persistent state of every applet (through {@link PersistentState}), {@link
 * #abortTransaction()} restores it, {@link #commitTransaction()} drops it.
 */
public final class UiccRuntime extends SimulatorRuntime {
    private final OwnedTransientMemory memory;
    private StateStore stateStore = StateStore.NONE;
    private byte[] transactionSnapshot;
    private AID installing;
    private int channel;

    public UiccRuntime() {
        this(new OwnedTransientMemory());
    }

    private UiccRuntime(OwnedTransientMemory memory) {
        super(memory);
        this.memory = memory;
        // Arrays made during install belong to the applet being installed, later ones to
        // the applet that is current when they are made.
        memory.setOwnerSource(() -> installing != null ? installing : currentAID);
    }

    void setStateStore(StateStore store) {
        stateStore = store;
    }

    /** Marks which applet an install() call belongs to (null when done). */
    void setInstalling(AID aid) {
        installing = aid;
    }

    /** Binds jCardSim's thread-local runtime to this instance on the calling thread. */
    void activate() {
        activateSimulatorRuntimeInstance();
    }

    int channel() {
        return channel;
    }

    @Override
    public byte getAssignedChannel() {
        return (byte) channel;
    }

    /**
     * Runs one command through an applet as the JCRE would: select() first when selecting,
     * then process(). Returns the applet's response; a transaction left open is aborted.
     *
     * @throws org.m2muicc.card.platform.PowerLoss when an injected tear fires
     */
    ResponseApdu dispatch(AID aid, Applet applet, int onChannel, CommandApdu command, boolean selecting) {
        activate();
        ApduCase apduCase = ApduCase.getCase(command.raw());
        if (apduCase.isExtended() && !(applet instanceof ExtendedLength)) {
            return ResponseApdu.status(Sw.WRONG_LENGTH);
        }
        usingExtendedAPDUs = apduCase.isExtended();
        currentAID = aid;
        channel = onChannel;
        responseBufferSize = 0;
        this.selecting = selecting;
        APDU apdu = getCurrentAPDU();
        int sw;
        try {
            if (selecting && !selectApplet(applet)) {
                sw = 0x6999; // the applet refused selection (JCRE behaviour)
            } else {
                resetAPDU(apdu, apduCase, command.raw());
                applet.process(apdu);
                sw = Sw.OK;
            }
        } catch (PowerLoss p) {
            throw p;
        } catch (ISOException e) {
            sw = e.getReason() & 0xFFFF;
        } catch (Throwable t) {
            // A real JCRE answers 6F00 for any other uncaught exception.
            Log.warn("applet " + Hex.of(aidBytes(aid)) + " threw " + t + " -> 6F00");
            if (Log.enabled(Log.Level.DEBUG)) {
                t.printStackTrace();
            }
            sw = Sw.UNKNOWN;
        } finally {
            this.selecting = false;
            resetAPDU(apdu, null, null);
            abortOpenTransaction();
        }
        byte[] data = Sw.carriesData(sw) ? Arrays.copyOf(responseBuffer, responseBufferSize) : new byte[0];
        return new ResponseApdu(data, sw);
    }

    /**
     * Selects an applet on a channel without a SELECT command (MANAGE CHANNEL opened from a
     * non-basic channel makes the origin's application current on the new channel).
     */
    boolean selectWithoutCommand(AID aid, Applet applet, int onChannel) {
        activate();
        currentAID = aid;
        channel = onChannel;
        selecting = true;
        try {
            return selectApplet(applet);
        } finally {
            selecting = false;
            abortOpenTransaction();
        }
    }

    private static boolean selectApplet(Applet applet) {
        try {
            return applet.select();
        } catch (PowerLoss p) {
            throw p;
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * Ends an applet's selection on a channel: deselect(), and its CLEAR_ON_DESELECT memory
     * is cleared unless the applet stays selected on another channel.
     */
    void deselect(AID aid, Applet applet, int onChannel, boolean stillSelectedElsewhere) {
        activate();
        currentAID = aid;
        channel = onChannel;
        try {
            applet.deselect();
        } catch (PowerLoss p) {
            throw p;
        } catch (Exception e) {
            Log.debug("deselect() of " + Hex.of(aidBytes(aid)) + " threw " + e + " (ignored)");
        } finally {
            abortOpenTransaction();
            if (!stillSelectedElsewhere) {
                memory.clearOnDeselect(aid);
            }
            currentAID = null;
        }
    }

    /** Power-on/reset: transient memory cleared, nothing selected, open transaction rolled back. */
    @Override
    public void reset() {
        activate();
        abortOpenTransaction();
        super.reset();
        channel = 0;
    }

    @Override
    public void beginTransaction() {
        super.beginTransaction(); // throws IN_PROGRESS when nested
        transactionSnapshot = stateStore.snapshot();
        Log.debug("transaction begun: state snapshot of " + transactionSnapshot.length + " bytes");
    }

    @Override
    public void abortTransaction() {
        super.abortTransaction(); // throws NOT_IN_PROGRESS when none is open
        byte[] snapshot = transactionSnapshot;
        transactionSnapshot = null;
        if (snapshot != null) {
            stateStore.restore(snapshot);
            Log.debug("transaction aborted: state restored from the snapshot");
        }
    }

    @Override
    public void commitTransaction() {
        super.commitTransaction();
        transactionSnapshot = null;
    }

    /** Rolls back a transaction the applet left open (a JCRE aborts it when process() returns). */
    boolean abortOpenTransaction() {
        if (transactionDepth == 0) {
            return false;
        }
        Log.debug("a transaction is still open: aborting it");
        abortTransaction();
        return true;
    }

    private static byte[] aidBytes(AID aid) {
        byte[] b = new byte[16];
        return Arrays.copyOf(b, aid.getBytes(b, (short) 0));
    }
}
