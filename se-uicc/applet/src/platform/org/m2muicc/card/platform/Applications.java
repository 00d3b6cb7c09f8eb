package org.m2muicc.card.platform;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.licel.jcardsim.base.Simulator;
import com.licel.jcardsim.utils.AIDUtil;

import javacard.framework.AID;
import javacard.framework.Applet;

/**
 * The installed applications, in profile (= EF_DIR) order, and their persistent state.
 *
 * <p>State layout (used for the card image and for transaction snapshots):
 * {@code int count, then per application: UTF aidHex, UTF className, int stateVersion,
 * int length, byte[length]}. Keyed by AID so that a profile may gain applications between
 * runs.
 */
final class Applications implements StateStore {
    private final List<InstalledApp> apps;

    private Applications(List<InstalledApp> apps) {
        this.apps = List.copyOf(apps);
    }

    /** Creates every application of the profile (factory-fresh state). */
    static Applications install(Simulator simulator, UiccRuntime runtime, List<AppSpec> specs) {
        List<InstalledApp> installed = new ArrayList<>();
        for (AppSpec spec : specs) {
            installed.add(installOne(simulator, runtime, spec));
        }
        return new Applications(installed);
    }

    private static InstalledApp installOne(Simulator simulator, UiccRuntime runtime, AppSpec spec) {
        Class<? extends Applet> cls;
        try {
            cls = Class.forName(spec.className()).asSubclass(Applet.class);
        } catch (ClassNotFoundException | ClassCastException e) {
            throw new IllegalArgumentException("applet class " + spec.className() + " not usable: " + e);
        }
        AID aid = AIDUtil.create(spec.aid());
        byte[] params = installData(spec);
        runtime.setInstalling(aid);
        try {
            simulator.installApplet(aid, cls, params, (short) 0, (byte) params.length);
        } catch (RuntimeException e) {
            throw new IllegalStateException("install of " + spec.aidHex() + " failed: " + e, e);
        } finally {
            runtime.setInstalling(null);
        }
        Applet applet = runtime.lookupApplet(aid) == null ? null : runtime.lookupApplet(aid).getApplet();
        if (applet == null) {
            throw new IllegalStateException(spec.className() + ".install() did not register AID " + spec.aidHex());
        }
        if (!(applet instanceof PersistentState)) {
            Log.warn(spec.className() + " does not implement PersistentState: its state is neither"
                    + " saved in the card image nor rolled back by transactions");
        }
        Log.info("installed " + spec.aidHex() + " " + spec.className() + " \"" + spec.label() + "\"");
        return new InstalledApp(spec, aid, applet);
    }

    /** GlobalPlatform INSTALL [for install] layout: [aidLen][AID][ctrlLen=0][len][params]. */
    private static byte[] installData(AppSpec spec) {
        byte[] aid = spec.aid();
        byte[] p = spec.installParams();
        byte[] out = new byte[1 + aid.length + 1 + 1 + p.length];
        out[0] = (byte) aid.length;
        System.arraycopy(aid, 0, out, 1, aid.length);
        out[aid.length + 2] = (byte) p.length;
        System.arraycopy(p, 0, out, aid.length + 3, p.length);
        return out;
    }

    List<InstalledApp> all() {
        return apps;
    }

    /**
     * SELECT by DF name as a UICC resolves it: an exact AID match first, then the first
     * application (in EF_DIR order) whose AID starts with the given, right-truncated AID.
     */
    InstalledApp resolve(byte[] name) {
        for (InstalledApp app : apps) {
            if (Arrays.equals(app.aidBytes(), name)) {
                return app;
            }
        }
        for (InstalledApp app : apps) {
            byte[] aid = app.aidBytes();
            if (name.length > 0 && name.length < aid.length
                    && Arrays.equals(aid, 0, name.length, name, 0, name.length)) {
                return app;
            }
        }
        return null;
    }

    @Override
    public byte[] snapshot() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            List<InstalledApp> persistent = apps.stream().filter(a -> a.persistent() != null).toList();
            out.writeInt(persistent.size());
            for (InstalledApp app : persistent) {
                ByteArrayOutputStream one = new ByteArrayOutputStream();
                app.persistent().writeState(new DataOutputStream(one));
                out.writeUTF(app.spec().aidHex());
                out.writeUTF(app.spec().className());
                out.writeInt(app.persistent().stateVersion());
                out.writeInt(one.size());
                one.writeTo(out);
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("writeState failed", e);
        }
    }

    @Override
    public void restore(byte[] snapshot) {
        try {
            load(snapshot);
        } catch (IOException e) {
            throw new UncheckedIOException("readState failed", e);
        }
    }

    /** Loads states written by {@link #snapshot()}; records of unknown applications are skipped. */
    void load(byte[] snapshot) throws IOException {
        Map<String, InstalledApp> byAid = new HashMap<>();
        for (InstalledApp app : apps) {
            byAid.put(app.spec().aidHex(), app);
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(snapshot));
        int count = in.readInt();
        for (int i = 0; i < count; i++) {
            String aidHex = in.readUTF();
            String className = in.readUTF();
            int version = in.readInt();
            byte[] state = new byte[in.readInt()];
            in.readFully(state);
            InstalledApp app = byAid.get(aidHex);
            if (app == null || app.persistent() == null) {
                Log.warn("image holds state for " + aidHex + " (" + className + "), not installed: skipped");
                continue;
            }
            if (!app.spec().className().equals(className)) {
                Log.warn("image state of " + aidHex + " was written by " + className + ", now "
                        + app.spec().className() + ": skipped (factory-fresh)");
                continue;
            }
            app.persistent().readState(new DataInputStream(new ByteArrayInputStream(state)), version);
        }
    }
}
