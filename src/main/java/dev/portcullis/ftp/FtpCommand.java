package dev.portcullis.ftp;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One command line from a client, as received (Telnet IAC sequences already removed, line
 * terminator stripped). The raw bytes are kept so that commands the proxy does not rewrite are
 * relayed byte-exact (UTF-8 paths, unknown verbs); the verb is only ever read, never changed.
 */
public record FtpCommand(String verb, String argument, byte[] line) {

    /** Parses a line (without CR LF). Verb is upper-cased ASCII; the argument is kept as-is. */
    public static FtpCommand parse(byte[] line) {
        String text = new String(line, StandardCharsets.ISO_8859_1);
        int space = text.indexOf(' ');
        String verb = space < 0 ? text : text.substring(0, space);
        String argument = space < 0 ? "" : text.substring(space + 1);
        return new FtpCommand(verb.toUpperCase(Locale.ROOT), argument, line);
    }

    public static FtpCommand of(String text) {
        return parse(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The argument decoded as UTF-8, for logs and paths (never for PASS). */
    public String argumentUtf8() {
        int space = indexOf(line, (byte) ' ');
        return space < 0 ? "" : new String(line, space + 1, line.length - space - 1, StandardCharsets.UTF_8);
    }

    /** The line as it goes on the wire: the original bytes plus CR LF. */
    public byte[] wireBytes() {
        byte[] wire = new byte[line.length + 2];
        System.arraycopy(line, 0, wire, 0, line.length);
        wire[line.length] = '\r';
        wire[line.length + 1] = '\n';
        return wire;
    }

    /** What may be logged: the verb, and the argument unless it is a secret. */
    public String loggable() {
        if (verb.equals("PASS") || verb.equals("ACCT")) {
            return verb + " ****";
        }
        return argument.isEmpty() ? verb : verb + " " + argumentUtf8();
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public String toString() {
        return "FtpCommand[" + loggable() + "]";
    }
}
