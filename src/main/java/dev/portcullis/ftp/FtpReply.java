package dev.portcullis.ftp;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One complete reply (single- or multi-line) from an FTP server. {@code lines} are decoded as
 * ISO-8859-1 so that every byte survives parsing; {@code raw} is exactly what arrived, terminators
 * included, and is what the proxy relays when it does not rewrite the reply.
 */
public record FtpReply(int code, List<String> lines, byte[] raw) {

    public FtpReply {
        lines = List.copyOf(lines);
    }

    /** A single-line reply built by the proxy itself. */
    public static FtpReply of(int code, String text) {
        String line = code + " " + text;
        return new FtpReply(code, List.of(line), (line + "\r\n").getBytes(StandardCharsets.UTF_8));
    }

    /** A multi-line reply built from lines that already carry their codes where needed. */
    public static FtpReply ofLines(int code, List<String> lines) {
        StringBuilder sb = new StringBuilder();
        for (String l : lines) {
            sb.append(l).append("\r\n");
        }
        return new FtpReply(code, lines, sb.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    public boolean isPreliminary() {
        return code >= 100 && code < 200;
    }

    public boolean isPositiveCompletion() {
        return code >= 200 && code < 300;
    }

    public boolean isNegative() {
        return code >= 400;
    }

    /** The text of the last line after the code, e.g. the "(|||6446|)" part of a 229. */
    public String text() {
        String last = lines.get(lines.size() - 1);
        return last.length() > 4 ? last.substring(4) : "";
    }

    @Override
    public String toString() {
        return "FtpReply[" + String.join(" / ", lines) + "]";
    }
}
