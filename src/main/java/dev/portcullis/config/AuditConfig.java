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
public record AuditConfig(Optional<Path> xferlog, Optional<Path> events, String maxFileSize, int maxHistory, String totalSizeCap) {

    public static final AuditConfig OFF = new AuditConfig(Optional.empty(), Optional.empty(), "100MB", 30, "5GB");
}
