package dev.portcullis.control;

/** A client line the decoder refused; the session answers it in turn, like a command. */
public enum CommandFrameError {
    /** The line exceeded the configured maximum length (reported once per max-length bytes discarded). */
    TOO_LONG,
    /** The line contained a NUL byte. */
    NUL_BYTE,
    /** The line ended in a bare LF (reported only by a decoder in strict mode; otherwise accepted). */
    BARE_LF,
    /** The line held a CR that does not end it (a lone CR line, or "NOOP\rQUIT"). */
    STRAY_CR,
    /** The line held a literal 0xFF (sent as IAC IAC), which backends read in different ways. */
    LITERAL_IAC
}
