package org.m2muicc.card.applets.ivsed;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

import javacard.framework.Util;
import javacard.security.ECPrivateKey;
import javacard.security.ECPublicKey;
import javacard.security.KeyBuilder;

import org.m2muicc.card.applets.channel.ChannelKey;
import org.m2muicc.card.applets.common.Lifecycle;
import org.m2muicc.card.crypto.EcdsaP256;

/**
 * The persistent data of the IV-SED (IV-SED.md §2-§4): lifecycle, the personalised fields, the
 * attestation key, the two manifest slots with the index of the active one, the manifest
 * version and digest, and the report counter.
 *
 * <p>Writers of everything but the inactive manifest slot hold a JCSystem transaction: the
 * platform rolls a transaction back from the {@code PersistentState} snapshot, so a tear leaves
 * the old or the new state, never a mix.
 */
final class IvStore extends Lifecycle implements ChannelKey {

    static final byte NODE_ID = 0;   // C1
    static final byte KMSA = 1;      // D4
    static final byte REF_KEY = 2;   // E1
    static final byte POLICY_KEY = 3; // E2
    static final byte COUNT = 4;
    static final byte[] STORE_TAG = {(byte) 0xC1, (byte) 0xD4, (byte) 0xE1, (byte) 0xE2};
    static final short[] LENGTH = {16, 16, EcdsaP256.POINT_LENGTH, EcdsaP256.POINT_LENGTH};
    static final short[] OFFSET = {0, 16, 32, 97};
    static final short SIZE = 162;

    private final byte[] value = new byte[SIZE];
    private final boolean[] set = new boolean[COUNT];

    final ECPrivateKey attestationPrivate;
    final ECPublicKey attestationPublic;
    final byte[] attestationPoint = new byte[EcdsaP256.POINT_LENGTH];
    private boolean hasAttestation;

    private final byte[] slot0 = new byte[Manifest.MAX_PAYLOAD];
    private final byte[] slot1 = new byte[Manifest.MAX_PAYLOAD];
    private final short[] slotLength = new short[2];
    private byte activeSlot;
    final byte[] manifestVersion = new byte[4];
    final byte[] manifestDigest = new byte[32];
    final byte[] counter = new byte[4];

    IvStore() {
        attestationPrivate = (ECPrivateKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PRIVATE, KeyBuilder.LENGTH_EC_FP_256, false);
        attestationPublic = (ECPublicKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PUBLIC, KeyBuilder.LENGTH_EC_FP_256, false);
    }

    boolean isSet(byte field) {
        return set[field];
    }

    byte[] data() {
        return value;
    }

    /** Sets a field. Inside a transaction only. */
    void set(byte field, byte[] src, short off) {
        Util.arrayCopy(src, off, value, OFFSET[field], LENGTH[field]);
        set[field] = true;
    }

    boolean hasAttestationKey() {
        return hasAttestation;
    }

    /** Installs the attestation key pair given as scalar and point. Inside a transaction only. */
    void setAttestation(byte[] s, short sOff, short sLen, byte[] w, short wOff) {
        attestationPrivate.setS(s, sOff, sLen);
        attestationPublic.setW(w, wOff, EcdsaP256.POINT_LENGTH);
        Util.arrayCopy(w, wOff, attestationPoint, (short) 0, EcdsaP256.POINT_LENGTH);
        hasAttestation = true;
    }

    // --- manifest slots ---------------------------------------------------------------------

    boolean hasManifest() {
        return slotLength[activeSlot] != 0;
    }

    byte[] activeManifest() {
        return activeSlot == 0 ? slot0 : slot1;
    }

    short activeManifestLength() {
        return slotLength[activeSlot];
    }

    /** The slot the next manifest is written to; writing it changes nothing visible. */
    byte[] inactiveManifest() {
        return activeSlot == 0 ? slot1 : slot0;
    }

    /**
     * Makes the inactive slot (holding {@code len} bytes) the active one with its version and
     * digest. Inside a transaction only.
     */
    void flipManifest(short len, byte[] version, short vOff, byte[] digest, short dOff) {
        byte next = (byte) (1 - activeSlot);
        slotLength[next] = len;
        activeSlot = next;
        Util.arrayCopy(version, vOff, manifestVersion, (short) 0, (short) 4);
        Util.arrayCopy(digest, dOff, manifestDigest, (short) 0, (short) 32);
    }

    // --- ChannelKey: Kmsa_iv ----------------------------------------------------------------

    public boolean hasKmsa() {
        return set[KMSA];
    }

    public byte[] kmsaArray() {
        return value;
    }

    public short kmsaOffset() {
        return OFFSET[KMSA];
    }

    public short kmsaLength() {
        return LENGTH[KMSA];
    }

    // --- PersistentState part ---------------------------------------------------------------

    void write(DataOutput out) throws IOException {
        out.writeByte(lifecycle());
        out.write(value);
        for (short i = 0; i < COUNT; i++) {
            out.writeBoolean(set[i]);
        }
        out.writeBoolean(hasAttestation);
        if (hasAttestation) {
            byte[] s = new byte[33];
            short n = attestationPrivate.getS(s, (short) 0);
            out.writeByte(n);
            out.write(s, 0, n);
            out.write(attestationPoint);
        }
        out.writeByte(activeSlot);
        out.writeShort(slotLength[0]);
        out.writeShort(slotLength[1]);
        out.write(slot0, 0, slotLength[0]);
        out.write(slot1, 0, slotLength[1]);
        out.write(manifestVersion);
        out.write(manifestDigest);
        out.write(counter);
    }

    void read(DataInput in) throws IOException {
        setLifecycle(in.readByte());
        in.readFully(value);
        for (short i = 0; i < COUNT; i++) {
            set[i] = in.readBoolean();
        }
        hasAttestation = in.readBoolean();
        if (hasAttestation) {
            short n = (short) in.readUnsignedByte();
            byte[] s = new byte[n];
            in.readFully(s);
            in.readFully(attestationPoint);
            attestationPrivate.setS(s, (short) 0, n);
            attestationPublic.setW(attestationPoint, (short) 0, EcdsaP256.POINT_LENGTH);
        } else {
            attestationPrivate.clearKey();
            attestationPublic.clearKey();
        }
        activeSlot = in.readByte();
        slotLength[0] = in.readShort();
        slotLength[1] = in.readShort();
        in.readFully(slot0, 0, slotLength[0]);
        in.readFully(slot1, 0, slotLength[1]);
        in.readFully(manifestVersion);
        in.readFully(manifestDigest);
        in.readFully(counter);
    }
}
