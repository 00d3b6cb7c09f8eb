package org.m2muicc.card.platform;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The control protocol: one command per line, one reply line each.
 *
 * <pre>
 * status           {"state":"inserted"|"removed","slot":N,"powered":bool,"apdus":n,"tears":n,
 *                   "armed":bool,"image":path|null,"channels":[...],"atr":"hex"}
 * tear ...         arm a power loss (see {@link TearSpec}) -> ok
 * disarm           -> ok
 * remove / insert  pull / put back the card -> ok
 * reset-counters   apdus and tears back to 0 -> ok
 * shutdown         persist and exit 0 -> ok
 * anything else    error &lt;why&gt;
 * </pre>
 */
final class ControlCommands {
    /** A reply line and whether the emulator must shut down after sending it. */
    record Reply(String line, boolean shutdown) {
        static Reply of(String line) {
            return new Reply(line, false);
        }
    }

    private final int slot;
    private final UiccCard card;
    private final VpcdLink link;
    private final TearController tear;

    ControlCommands(int slot, UiccCard card, VpcdLink link, TearController tear) {
        this.slot = slot;
        this.card = card;
        this.link = link;
        this.tear = tear;
    }

    Reply execute(String line) {
        String[] words = line.trim().split("\\s+");
        String[] args = java.util.Arrays.copyOfRange(words, 1, words.length);
        try {
            return switch (words[0]) {
                case "status" -> Reply.of(statusJson());
                case "tear" -> {
                    tear.arm(TearSpec.parse(args));
                    yield Reply.of("ok");
                }
                case "disarm" -> {
                    tear.disarm();
                    yield Reply.of("ok");
                }
                case "remove" -> {
                    link.remove();
                    yield Reply.of("ok");
                }
                case "insert" -> {
                    link.insert();
                    yield Reply.of("ok");
                }
                case "reset-counters" -> {
                    card.resetCounters();
                    tear.resetCounters();
                    yield Reply.of("ok");
                }
                case "shutdown" -> new Reply("ok", true);
                case "" -> Reply.of("error empty command");
                default -> Reply.of("error unknown command '" + words[0] + "'");
            };
        } catch (IllegalArgumentException e) {
            return Reply.of("error " + e.getMessage());
        }
    }

    private String statusJson() {
        Path image = card.imagePath();
        List<Integer> channels = card.openChannels();
        return "{\"state\":\"" + (link.inserted() ? "inserted" : "removed") + "\""
                + ",\"slot\":" + slot
                + ",\"powered\":" + link.powered()
                + ",\"apdus\":" + card.apdus()
                + ",\"tears\":" + tear.tears()
                + ",\"armed\":" + tear.isArmed()
                + ",\"image\":" + (image == null ? "null" : jsonString(image.toString()))
                + ",\"channels\":[" + channels.stream().map(String::valueOf).collect(Collectors.joining(",")) + "]"
                + ",\"atr\":\"" + Hex.of(card.atr()) + "\"}";
    }

    private static String jsonString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
