package org.m2muicc.card.applets.channel;

import javacard.security.RandomData;

import org.m2muicc.card.crypto.CardCrypto;

/**
 * The secure-channel state of the application-level endpoint, and the rules for ending it:
 * one master SA (persistent), at most one connection SA (transient), the applet's session part
 * (what its inner commands share within one CSA), and the TRANSACT DATA buffer.
 *
 * <p>Ending a CSA always ends all of its transient parts together ({@link #endConnection}), so
 * no key, nonce, counter, chaining value or master secret of a dead CSA survives anywhere.
 */
public final class SecureChannel {
    public final MasterSa master;
    final ConnectionSa connection;
    private final SessionPart session;
    final TransferBuffer transfer;
    final RandomData random;

    /** {@code session}: the applet's per-CSA state, wiped with the CSA (null: none). */
    public SecureChannel(CardCrypto crypto, SessionPart session) {
        master = new MasterSa();
        connection = new ConnectionSa(crypto);
        this.session = session;
        transfer = new TransferBuffer();
        random = RandomData.getInstance(RandomData.ALG_KEYGENERATION);
    }

    /** Ends the connection SA and everything that belongs to it. */
    public void endConnection() {
        connection.clear();
        if (session != null) {
            session.clear();
        }
        transfer.reset();
    }

    /** Ends the master SA and its connection SA. */
    public void endMaster() {
        master.clear();
        endConnection();
    }
}
