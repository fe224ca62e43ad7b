package dev.portcullis.data.kernel;

import java.util.concurrent.CompletableFuture;

/** How mappings reach the kernel: by netlink ({@link NetlinkMappings}) or an nft process ({@link NftProcessMappings}). */
interface MappingWriter {

    /** Adds both elements of {@code m}; completes once the kernel forwards it, or fails with the reason. */
    CompletableFuture<Void> add(NatMapping m);

    /** Removes both elements of {@code m}; one that has timed out already is not an error. */
    void remove(NatMapping m);

    /** Why mappings can no longer be made (null while they can). */
    String gone();

    /** How mappings are made, for the start line. */
    String describe();

    void close();
}
