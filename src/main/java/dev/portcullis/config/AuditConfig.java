package dev.portcullis.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Audit logs; each is off unless a file is given.
 *
 * @param xferlog      the xferlog (wu-ftpd/vsftpd format) file
 * @param events       the JSON-lines event log file
 * @param maxFileSize  roll a file over at this size (Logback size, e.g. 100MB)
 * @param maxHistory   days of rolled files to keep
 * @param totalSizeCap total size of rolled files to keep (e.g. 5GB)
 */
public record AuditConfig(@FileAccess(FileAccess.Kind.WRITE) Optional<Path> xferlog, @FileAccess(FileAccess.Kind.WRITE) Optional<Path> events,
                          @Matches(regex = FILE_SIZE, expected = FILE_SIZE_EXPECTED) String maxFileSize,
                          @Range(min = 1, max = 3650) int maxHistory,
                          @Matches(regex = FILE_SIZE, expected = FILE_SIZE_EXPECTED) String totalSizeCap) {

    /** A Logback file size. */
    static final String FILE_SIZE = "\\d+\\s*(kb|mb|gb)?";
    static final String FILE_SIZE_EXPECTED = "expected a size such as 100MB, 512KB or 5GB";

    public static final AuditConfig OFF = new AuditConfig(Optional.empty(), Optional.empty(), "100MB", 30, "5GB");
}
