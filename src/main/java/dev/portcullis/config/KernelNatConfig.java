package dev.portcullis.config;

import java.nio.file.Path;

/**
 * Plain passive data connections forwarded by the kernel instead of relayed: for each PASV/EPSV the
 * proxy adds a one-shot DNAT/SNAT mapping to an nftables table of its own, so that the client's data
 * connection goes straight to the backend's data port through netfilter (as with the kernel helper)
 * while the control connection, its policy and the mapping's lifetime stay with the proxy.
 *
 * @param enabled whether to use it (off by default: it needs CAP_NET_ADMIN, nftables and forwarding)
 * @param nft     the nft program that makes the table (and, on Java 17, the mappings)
 * @param table   the {@code ip} table the proxy owns: created at start, deleted at stop
 */
public record KernelNatConfig(boolean enabled, Path nft, String table) {

    static final String TABLE_NAME = "[A-Za-z][A-Za-z0-9_]{0,31}";
    static final String TABLE_NAME_EXPECTED =
            "expected a table name of letters, digits and '_', starting with a letter, at most 32 characters";

    public static final KernelNatConfig OFF = new KernelNatConfig(false, Path.of("/usr/sbin/nft"), "portcullis");

    public KernelNatConfig {
        java.util.Objects.requireNonNull(nft, "nft");
        if (!table.matches(TABLE_NAME)) {
            throw new IllegalArgumentException(TABLE_NAME_EXPECTED);
        }
    }
}
