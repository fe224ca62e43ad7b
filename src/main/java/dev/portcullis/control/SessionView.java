package dev.portcullis.control;

/**
 * What the admin API shows of one session (like ProFTPD's ftpwho): read on the session's own event
 * loop, so that its fields agree with one another.
 *
 * @param backend  the backend's address, null before one is chosen (per-user routing before PASS)
 * @param since    when the session was admitted (ISO-8601)
 * @param transfer the transfer under way, or null
 * @param tls      whether the control connection is protected
 */
public record SessionView(String id, String client, String user, String backend, String since, Transfer transfer, boolean tls) {

    /** @param bytes bytes relayed so far, both directions (the kernel's own count for kernel-forwarded data is not seen: -1) */
    public record Transfer(String command, String path, long bytes, long millis) {
    }
}
