package dev.portcullis.audit;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The wu-ftpd/vsftpd xferlog line, so that existing log tools and fail2ban filters read it:
 * {@code current-time transfer-time remote-host file-size filename transfer-type special-action
 * direction access-mode username service-name authentication-method authenticated-user-id
 * completion-status}. Only file transfers are written (listings are not in xferlog).
 */
public final class XferlogFormat {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("EEE MMM d HH:mm:ss yyyy", Locale.ROOT);

    private XferlogFormat() {
    }

    public static String format(TransferRecord t, ZoneId zone) {
        long seconds = Math.max(1, (t.millis() + 999) / 1000);
        return TIME.format(t.end().atZone(zone))
                + " " + seconds
                + " " + t.client()
                + " " + t.bytes()
                + " " + sanitize(t.path())
                + " " + (t.binary() ? "b" : "a")
                + " _"
                + " " + (t.direction().equals("upload") ? "i" : "o")
                + " " + (t.anonymous() ? "a" : "r")
                + " " + sanitize(t.user())
                + " ftp 0 *"
                + " " + (t.complete() ? "c" : "i");
    }

    /** xferlog fields are separated by spaces: keep a path or name to one field, printable. */
    static String sanitize(String s) {
        if (s == null || s.isEmpty()) {
            return "-";
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(c == ' ' ? '_' : c < 0x20 || c == 0x7f ? '?' : c);
        }
        return b.toString();
    }
}
