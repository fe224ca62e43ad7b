package dev.portcullis.audit;

import java.time.Instant;

/**
 * One finished transfer, for the xferlog and the event log.
 *
 * @param direction  upload, download or listing
 * @param mode       passive or active (the client's data mode)
 * @param binary     TYPE I (true) or TYPE A
 * @param complete   the backend confirmed it and every byte was relayed
 */
public record TransferRecord(Instant end, long millis, String session, String client, String user, boolean anonymous,
                             String verb, String path, long bytes, String direction, String mode, boolean tls,
                             boolean binary, boolean complete, int replyCode) {
}
