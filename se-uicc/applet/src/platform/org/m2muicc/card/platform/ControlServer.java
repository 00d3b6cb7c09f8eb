package org.m2muicc.card.platform;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Serves {@link ControlCommands} on a loopback TCP port, a thread per client. */
final class ControlServer {
    private final ServerSocket server;
    private final ControlCommands commands;
    private final Runnable onShutdown;

    ControlServer(int port, ControlCommands commands, Runnable onShutdown) throws IOException {
        this.server = new ServerSocket(port, 8, InetAddress.getLoopbackAddress());
        this.commands = commands;
        this.onShutdown = onShutdown;
    }

    void start() {
        Thread t = new Thread(this::acceptLoop, "control-accept");
        t.setDaemon(true);
        t.start();
        Log.info("control interface on " + server.getLocalSocketAddress());
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Thread t = new Thread(() -> serve(client), "control-client");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (!server.isClosed()) {
                    Log.warn("control accept failed: " + e.getMessage());
                }
            }
        }
    }

    private void serve(Socket client) {
        try (client;
             BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter out = new PrintWriter(new OutputStreamWriter(client.getOutputStream(), StandardCharsets.UTF_8), true)) {
            String line;
            while ((line = in.readLine()) != null) {
                ControlCommands.Reply reply = commands.execute(line);
                Log.debug("control: " + line.trim() + " -> " + reply.line());
                out.println(reply.line());
                if (reply.shutdown()) {
                    onShutdown.run();
                    return;
                }
            }
        } catch (IOException e) {
            Log.debug("control client: " + e.getMessage());
        }
    }

    void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
