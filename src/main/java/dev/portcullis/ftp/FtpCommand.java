package dev.portcullis.ftp;

import java.nio.charset.StandardCharsets;

/**
 * One command line from a client (Telnet sequences already removed, line terminator stripped),
 * held in the form it is relayed in: the verb, then, if there is an argument, one space and the
 * argument's bytes exactly as received (UTF-8 paths, unknown verbs). Servers split the verb from
 * its argument differently (vsftpd on a space only, ProFTPD on any whitespace), so a line whose
 * verb ends in a tab, VT or FF is re-spelled with a space: the backend reads the verb the proxy
 * judged, whichever way it splits. A verb that is not made of ASCII letters
 * ({@link #verbWellFormed()}) is never relayed.
 */
public record FtpCommand(String verb, String argument, byte[] line) {

    /**
     * Parses a line (without CR LF): the verb runs up to the first SP, HT, VT or FF (or the end),
     * and is upper-cased; the argument is everything after that one separator, kept as-is.
     */
    public static FtpCommand parse(byte[] line) {
        int sep = 0;
        while (sep < line.length && !isSeparator(line[sep])) {
            sep++;
        }
        String verb = asciiUpperCase(line, sep);
        if (sep == line.length) {
            return new FtpCommand(verb, "", line);
        }
        String argument = new String(line, sep + 1, line.length - sep - 1, StandardCharsets.ISO_8859_1);
        if (line[sep] != ' ') {
            line = line.clone();
            line[sep] = ' '; // the canonical spelling: the backend must split where the proxy did
        }
        return new FtpCommand(verb, argument, line);
    }

    /** Upper-cases ASCII letters only: {@code String.toUpperCase} would turn a Latin-1 'ß' into the letters "SS". */
    private static String asciiUpperCase(byte[] line, int length) {
        char[] verb = new char[length];
        for (int i = 0; i < length; i++) {
            int b = line[i] & 0xff;
            verb[i] = (char) (b >= 'a' && b <= 'z' ? b - ('a' - 'A') : b);
        }
        return new String(verb);
    }

    /** What servers take for the end of the verb (ProFTPD and Pure-FTPd: any of these; vsftpd: SP only). */
    private static boolean isSeparator(byte b) {
        return b == ' ' || b == '\t' || b == 0x0b || b == '\f';
    }

    /** Whether the verb is one or more ASCII letters, as every FTP verb is (RFC 959 5.3.1). */
    public boolean verbWellFormed() {
        if (verb.isEmpty()) {
            return false;
        }
        for (int i = 0; i < verb.length(); i++) {
            char ch = verb.charAt(i);
            if (ch < 'A' || ch > 'Z') {
                return false;
            }
        }
        return true;
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
