package org.m2muicc.card.platform;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import com.licel.jcardsim.base.Simulator;

/**
 * The emulated UICC: power states, the command router and persistence.
 *
 * <p>Routing of a command on channel c (CLA decoded per {@link Cla}):
 * MANAGE CHANNEL, SELECT and - while the current DF is the MF - file access commands are the
 * platform's; GET RESPONSE is the T=0 layer's; everything else goes to the channel's current
 * application. All methods are synchronized: the vpcd thread and the control thread share it.
 */
final class UiccCard implements PlatformHooks {
    private static final byte INS_MANAGE_CHANNEL = 0x70;
    private static final byte INS_SELECT = (byte) 0xA4;
    private static final byte INS_STATUS = (byte) 0xF2;

    private final CardProfile profile;
    private final UiccRuntime runtime;
    private final Applications apps;
    private final UiccFiles files;
    private final Channels channels = new Channels();
    private final AppletGateway gateway;
    private final Selector selector;
    private final EfCommands efCommands;
    private final ManageChannel manageChannel;
    private final T0Transport t0;
    private final TearController tear;
    private final CardImage image;
    private final boolean redact;
    private static final byte INS_AUTHENTICATE = (byte) 0x88;

    private boolean powered;
    private long apdus;

    private UiccCard(CardProfile profile, UiccRuntime runtime, Applications apps, TearController tear,
                     CardImage image, boolean redact) {
        this.profile = profile;
        this.runtime = runtime;
        this.apps = apps;
        this.tear = tear;
        this.image = image;
        this.redact = redact;
        files = new UiccFiles(profile.iccid, profile.apps);
        gateway = new AppletGateway(runtime, channels);
        selector = new Selector(apps, files, gateway);
        efCommands = new EfCommands(files);
        manageChannel = new ManageChannel(channels, gateway, profile.t0);
        t0 = new T0Transport(profile.t0);
        channels.reset();
    }

    /** Installs the profile's applications and loads their state from the image, if any. */
    static UiccCard create(CardProfile profile, Path imagePath, TearController tear, boolean redact)
            throws IOException {
        UiccRuntime runtime = new UiccRuntime();
        Simulator simulator = new Simulator(runtime);
        Applications apps = Applications.install(simulator, runtime, profile.apps);
        runtime.setStateStore(apps);
        CardImage image = imagePath == null ? null : new CardImage(imagePath);
        if (image != null) {
            byte[] state = image.load();
            if (state == null) {
                Log.info("no image at " + image.path() + ": factory-fresh card");
            } else {
                apps.load(state);
                Log.info("card state loaded from " + image.path());
            }
        }
        UiccCard card = new UiccCard(profile, runtime, apps, tear, image, redact);
        UiccPlatform.install(card);
        card.persist(); // a fresh image exists from the first start on
        return card;
    }

    // --- PlatformHooks (what applets reach through UiccPlatform) -------------------------

    @Override
    public byte currentChannel() {
        return (byte) runtime.channel();
    }

    @Override
    public void tearPoint(String name) {
        tear.point(name);
    }

    @Override
    public short readIccid(byte[] dest, short offset) {
        byte[] iccid = files.iccid();
        System.arraycopy(iccid, 0, dest, offset, iccid.length);
        return (short) iccid.length;
    }

    // --- power ------------------------------------------------------------------------

    synchronized void powerOn() {
        coldState();
        powered = true;
        Log.debug("power on");
    }

    synchronized void reset() {
        coldState();
        powered = true;
        Log.debug("reset");
    }

    synchronized void powerOff() {
        runtime.reset(); // clears transient memory, rolls back an open transaction
        channels.closeAll();
        powered = false;
        Log.debug("power off");
    }

    /** After power-on or reset: transient memory cleared, only channel 0, MF selected. */
    private void coldState() {
        runtime.reset();
        channels.reset();
    }

    // --- commands ---------------------------------------------------------------------

    /**
     * Processes one command APDU and returns the response APDU.
     *
     * @throws CardTornException when an injected power loss cut the command: there is no
     *         response and the card is already in its powered-off state
     */
    synchronized byte[] process(byte[] raw) throws CardTornException {
        apdus++;
        if (!powered) {
            Log.warn("command without power-on: powering on");
            powerOn();
        }
        tear.beginApdu();
        try {
            ResponseApdu r = handle(raw);
            tear.afterProcessing();
            persist();
            return r.toBytes();
        } catch (PowerLoss loss) {
            Log.info("power loss at " + loss.point() + ": no response, card goes away");
            runtime.abortOpenTransaction();
            persist(); // what was written outside a transaction stays, as in EEPROM
            powerOff();
            throw new CardTornException(loss.point(), tear.lastStayOut());
        } finally {
            tear.endApdu();
        }
    }

    private ResponseApdu handle(byte[] raw) {
        CommandApdu cmd;
        try {
            cmd = CommandApdu.parse(raw);
        } catch (MalformedApduException e) {
            Log.info("malformed command (" + raw.length + " bytes): " + e.getMessage() + " -> 6700");
            return ResponseApdu.status(Sw.WRONG_LENGTH);
        }
        byte cla = cmd.cla();
        if (!Cla.isValid(cla)) {
            return ResponseApdu.status(Sw.CLA_NOT_SUPPORTED);
        }
        Channel ch = channels.get(Cla.channel(cla));
        boolean secret = redact && !Cla.isInterindustry(cla);
        Log.debug("ch" + Cla.channel(cla) + " > " + cmd.describe(secret));
        // AUTHENTICATE (USIM.md §3) answers with RES, CK, IK or Ks_ext_NAF under the basic class.
        secret |= redact && cmd.ins() == INS_AUTHENTICATE;
        ResponseApdu r;
        ResponseApdu kept = ch == null ? null : t0.reissued(ch, cmd);
        if (ch == null) {
            r = ResponseApdu.status(Sw.CHANNEL_NOT_SUPPORTED);
        } else if (kept != null) {
            // The command answered 6Cxx, re-issued with the exact Le: it ran already.
            Log.debug("ch" + Cla.channel(cla) + " re-issued with Le=" + cmd.ne()
                    + ": the kept response, not run again");
            r = t0.shape(ch, cmd, kept);
        } else if (t0.enabled() && Cla.isInterindustry(cla) && cmd.ins() == T0Transport.INS_GET_RESPONSE) {
            r = t0.getResponse(ch, cmd);
            secret = redact; // the data may come from a proprietary command
        } else {
            r = t0.shape(ch, cmd, route(ch, cmd));
        }
        if (Log.enabled(Log.Level.DEBUG)) {
            String data = r.data().length == 0 ? "" : secret ? "<" + r.data().length + " bytes redacted> "
                    : Hex.of(r.data()) + " ";
            Log.debug("ch" + Cla.channel(cla) + " < " + data + String.format("%04X", r.sw()));
        }
        return r;
    }

    private ResponseApdu route(Channel ch, CommandApdu cmd) {
        byte ins = cmd.ins();
        boolean interindustry = Cla.isInterindustry(cmd.cla());
        if (interindustry) {
            if (ins == INS_MANAGE_CHANNEL) {
                return manageChannel.handle(ch, cmd);
            }
            if (ins == INS_SELECT) {
                return selector.select(ch, cmd);
            }
            if (ch.file.underMf() && EfCommands.handles(ins)) {
                return efCommands.handle(ch, cmd);
            }
        }
        boolean isStatus = !interindustry && ins == INS_STATUS;
        if (ch.app != null) {
            ResponseApdu r = gateway.send(ch, cmd);
            // An applet that does not implement STATUS: answer it for the ADF, as a UICC does.
            if (isStatus && (r.sw() == Sw.INS_NOT_SUPPORTED || r.sw() == Sw.CLA_NOT_SUPPORTED)) {
                return status(ch, cmd);
            }
            return r;
        }
        if (isStatus) {
            return status(ch, cmd);
        }
        return ResponseApdu.status(interindustry ? Sw.INS_NOT_SUPPORTED : Sw.CLA_NOT_SUPPORTED);
    }

    /** STATUS (TS 102 221 11.1.2): FCP of the current DF (P2=00), its AID (01) or nothing (0C). */
    private ResponseApdu status(Channel ch, CommandApdu cmd) {
        boolean inAdf = ch.app != null && !ch.file.underMf();
        return switch (cmd.p2()) {
            case 0x00 -> ResponseApdu.ok(files.fcp(inAdf ? CurrentFile.ADF : CurrentFile.MF, ch.app));
            case 0x01 -> inAdf ? ResponseApdu.ok(Tlv.of(0x84, ch.app.aidBytes()))
                    : ResponseApdu.status(Sw.WRONG_P1P2);
            case 0x0C -> ResponseApdu.status(Sw.OK);
            default -> ResponseApdu.status(Sw.WRONG_P1P2);
        };
    }

    // --- persistence and status -----------------------------------------------------

    /** Writes the card image if the applets' persistent state changed since the last write. */
    synchronized void persist() {
        if (image == null) {
            return;
        }
        try {
            if (image.storeIfChanged(apps.snapshot())) {
                Log.debug("card image written: " + image.path());
            }
        } catch (IOException | RuntimeException e) {
            Log.error("could not write the card image " + image.path(), e);
        }
    }

    synchronized long apdus() {
        return apdus;
    }

    synchronized void resetCounters() {
        apdus = 0;
    }

    synchronized List<Integer> openChannels() {
        return powered ? channels.openNumbers() : List.of();
    }

    byte[] atr() {
        return profile.atr.clone();
    }

    Path imagePath() {
        return image == null ? null : image.path();
    }
}
