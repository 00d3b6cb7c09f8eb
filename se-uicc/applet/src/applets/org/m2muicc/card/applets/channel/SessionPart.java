package org.m2muicc.card.applets.channel;

/** Applet state that lives and dies with the connection SA (wiped by {@link SecureChannel#endConnection}). */
public interface SessionPart {
    void clear();
}
