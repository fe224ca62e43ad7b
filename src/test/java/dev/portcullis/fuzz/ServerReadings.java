package dev.portcullis.fuzz;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The ways an FTP server may read a command line the proxy relayed, for the fuzzers' "a denied verb
 * never reaches the backend in any spelling" check. Servers differ: vsftpd splits the verb on a
 * space only and does no Telnet processing; ProFTPD splits on any whitespace, skips leading
 * whitespace, and takes 0xFF for IAC, dropping it with the byte after it; other servers drop only
 * the IAC, or stop the line at a CR. A line is safe only if none of these readings finds a denied
 * verb. Pure functions; {@link ServerReadingsTest} has the table.
 */
final class ServerReadings {

    /** One reading: the verb and the first word of its argument, upper-cased. */
    record Reading(String verb, String firstWord) {
    }

    private ServerReadings() {
    }

    static Set<Reading> of(byte[] line) {
        Set<Reading> readings = new LinkedHashSet<>();
        for (byte[] telnet : new byte[][] {line, dropIacAndNext(line), dropIacOnly(line), uptoCr(line)}) {
            readings.add(split(telnet, false));
            readings.add(split(telnet, true));
        }
        return readings;
    }

    /**
     * Whether the line is in the form the proxy promises to relay: a verb of ASCII letters, then
     * nothing or one space and an argument, with no CR, LF, NUL or 0xFF anywhere.
     */
    static boolean canonical(byte[] line) {
        int i = 0;
        while (i < line.length && isLetter(line[i])) {
            i++;
        }
        if (i == 0 || (i < line.length && line[i] != ' ')) {
            return false;
        }
        for (byte b : line) {
            if (b == '\r' || b == '\n' || b == 0 || b == (byte) 0xff) {
                return false;
            }
        }
        return true;
    }

    private static boolean isLetter(byte b) {
        return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z');
    }

    /** vsftpd: verb up to the first space. ProFTPD-like ({@code anyWhitespace}): leading whitespace skipped, any whitespace splits. */
    private static Reading split(byte[] line, boolean anyWhitespace) {
        String s = new String(line, StandardCharsets.ISO_8859_1);
        if (anyWhitespace) {
            String[] words = s.strip().split("[ \t\u000b\f\r]+", 3);
            return new Reading(upper(words[0]), words.length > 1 ? upper(words[1]) : "");
        }
        int space = s.indexOf(' ');
        String verb = space < 0 ? s : s.substring(0, space);
        String rest = space < 0 ? "" : s.substring(space + 1).strip();
        String[] words = rest.split("[ \t\u000b\f\r]+", 2);
        return new Reading(upper(verb), upper(words[0]));
    }

    private static String upper(String s) {
        return s.toUpperCase(Locale.ROOT);
    }

    private static byte[] dropIacAndNext(byte[] line) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < line.length; i++) {
            if (line[i] == (byte) 0xff) {
                i++;
            } else {
                out.write(line[i]);
            }
        }
        return out.toByteArray();
    }

    private static byte[] dropIacOnly(byte[] line) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte b : line) {
            if (b != (byte) 0xff) {
                out.write(b);
            }
        }
        return out.toByteArray();
    }

    private static byte[] uptoCr(byte[] line) {
        for (int i = 0; i < line.length; i++) {
            if (line[i] == '\r') {
                return java.util.Arrays.copyOf(line, i);
            }
        }
        return line;
    }
}
