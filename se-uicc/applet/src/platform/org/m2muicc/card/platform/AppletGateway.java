package org.m2muicc.card.platform;

/**
 * Hands commands to applets on behalf of the platform and keeps each channel's current
 * application in step with what the applets were told (select/deselect).
 */
final class AppletGateway {
    private final UiccRuntime runtime;
    private final Channels channels;

    AppletGateway(UiccRuntime runtime, Channels channels) {
        this.runtime = runtime;
        this.channels = channels;
    }

    /** A command for the channel's current application, with the channel bits cleared. */
    ResponseApdu send(Channel ch, CommandApdu command) {
        CommandApdu plain = command.withCla(Cla.withoutChannel(command.cla())).withLeForJcardsim();
        return runtime.dispatch(ch.app.aid(), ch.app.applet(), ch.number, plain, false);
    }

    /**
     * SELECT by AID: the previous application of the channel is deselected, the SELECT is
     * passed to the new one (select() then process()), and on success it becomes current.
     */
    ResponseApdu select(Channel ch, InstalledApp app, CommandApdu select) {
        deselect(ch);
        ResponseApdu r = runtime.dispatch(app.aid(), app.applet(), ch.number, select, true);
        if (Sw.carriesData(r.sw())) { // 9000 or a warning: selected
            ch.app = app;
            ch.file = CurrentFile.ADF;
        }
        return r;
    }

    /** Makes {@code app} current on a newly opened channel; false if the applet refuses. */
    boolean selectWithoutCommand(Channel ch, InstalledApp app) {
        if (!runtime.selectWithoutCommand(app.aid(), app.applet(), ch.number)) {
            return false;
        }
        ch.app = app;
        return true;
    }

    /** Ends the channel's application selection, if any; the MF becomes current. */
    void deselect(Channel ch) {
        InstalledApp old = ch.app;
        ch.app = null;
        ch.file = CurrentFile.MF;
        if (old != null) {
            runtime.deselect(old.aid(), old.applet(), ch.number, channels.selectedElsewhere(old, ch.number));
        }
    }
}
