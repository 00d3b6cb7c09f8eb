package org.m2muicc.card.applets.sed;

import javacard.security.RandomData;

import org.m2muicc.card.crypto.CardCrypto;

/**
 * The secure-channel state of the application-level endpoint, and the rules for ending it:
 * one master SA (persistent), at most one connection SA (transient), the session secrets the
 * operational commands share, and the TRANSACT DATA buffer.
 *
 * <p>Ending a CSA always ends all of its transient parts together ({@link #endConnection}), so
 * no key, nonce, counter, chaining value or master secret of a dead CSA survives anywhere.
 */
final class SecureChannel {
    final MasterSa master;
    final ConnectionSa connection;
    final SessionSecrets secrets;
    final TransferBuffer transfer;
    final RandomData random;

    SecureChannel(CardCrypto crypto) {
        master = new MasterSa();
        connection = new ConnectionSa(crypto);
        secrets = new SessionSecrets();
        transfer = new TransferBuffer();
        random = RandomData.getInstance(RandomData.ALG_KEYGENERATION);
    }

    /** Ends the connection SA and everything that belongs to it. */
    void endConnection() {
        connection.clear();
        secrets.clear();
        transfer.reset();
    }

    /** Ends the master SA and its connection SA. */
    void endMaster() {
        master.clear();
        endConnection();
    }
}
