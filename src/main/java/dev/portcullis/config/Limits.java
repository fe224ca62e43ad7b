package dev.portcullis.config;

/**
 * @param maxLineLength  longest command line accepted from a client, in bytes (longer: {@code 500})
 * @param maxBadLines    over-long or NUL-bearing lines tolerated before the session is closed
 * @param maxReplyLines  longest multi-line reply accepted from the backend, in lines
 */
public record Limits(int maxLineLength, int maxBadLines, int maxReplyLines) {

    public static final Limits DEFAULTS = new Limits(4096, 3, 1000);
}
