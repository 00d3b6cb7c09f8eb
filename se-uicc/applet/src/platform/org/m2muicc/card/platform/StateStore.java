package org.m2muicc.card.platform;

/** The persistent state of all installed applets, as one opaque byte string. */
interface StateStore {
    byte[] snapshot();

    void restore(byte[] snapshot);

    StateStore NONE = new StateStore() {
        @Override
        public byte[] snapshot() {
            return new byte[0];
        }

        @Override
        public void restore(byte[] snapshot) {
        }
    };
}
