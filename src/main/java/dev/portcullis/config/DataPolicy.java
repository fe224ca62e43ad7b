package dev.portcullis.config;

import java.nio.file.Path;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonCreator;
import java.net.InetAddress;
import java.util.Optional;

/**
 * How data connections are set up and what is allowed.
 *
 * @param allowForeignAddress  allow PORT/EPRT to an address other than the client's (FXP); off by default
 * @param allowPrivilegedPorts allow PORT/EPRT to ports below 1024; off by default
 * @param activeSourcePort     source port of active connections to clients (0: any; 20 needs privilege)
 * @param backendMode          how the proxy opens data connections towards the backend
 * @param backendActiveSource  the address the proxy listens on and announces in PORT/EPRT to the backend
 * @param backendPasvAddress   where to connect after a backend 227: its control address or the announced one
 * @param zeroCopy             move plain data connections with splice(2) (epoll transport), not through user space
 * @param splicePipeSize       bytes a splice pipe grows to once its transfer carries bulk (Linux default 64 KiB: no growth)
 * @param splicePipeBudget     bytes of grown pipes all transfers together may hold; the rest keep default pipes
 * @param kernelNat            plain passive data forwarded by netfilter through mappings the proxy adds (off by default)
 */
public record DataPolicy(
        boolean allowForeignAddress,
        boolean allowPrivilegedPorts,
        int activeSourcePort,
        BackendDataMode backendMode,
        Optional<InetAddress> backendActiveSource,
        BackendPasvAddress backendPasvAddress,
        boolean zeroCopy,
        int splicePipeSize,
        long splicePipeBudget,
        KernelNatConfig kernelNat) {

    public static final DataPolicy DEFAULTS = new DataPolicy(
            false, false, 0, BackendDataMode.PASSIVE, Optional.empty(), BackendPasvAddress.CONTROL, true,
            1 << 20, 32L << 20, KernelNatConfig.OFF);

    public DataPolicy(boolean allowForeignAddress, boolean allowPrivilegedPorts, int activeSourcePort, BackendDataMode backendMode,
                      Optional<InetAddress> backendActiveSource, BackendPasvAddress backendPasvAddress) {
        this(allowForeignAddress, allowPrivilegedPorts, activeSourcePort, backendMode, backendActiveSource, backendPasvAddress,
                DEFAULTS.zeroCopy(), DEFAULTS.splicePipeSize(), DEFAULTS.splicePipeBudget(), DEFAULTS.kernelNat());
    }

    /** The file's {@code data} section, where the kernel data path's three keys sit beside the others. */
    @JsonCreator
    static DataPolicy fromFile(
            @JsonProperty("allow-foreign-address") boolean allowForeignAddress,
            @JsonProperty("allow-privileged-ports") boolean allowPrivilegedPorts,
            @JsonProperty("active-source-port") @Range(min = 0, max = 65535) int activeSourcePort,
            @JsonProperty("backend-mode") BackendDataMode backendMode,
            @JsonProperty("backend-active-source") Optional<InetAddress> backendActiveSource,
            @JsonProperty("backend-pasv-address") BackendPasvAddress backendPasvAddress,
            @JsonProperty("zero-copy") boolean zeroCopy,
            @JsonProperty("splice-pipe-size") @Bytes(max = 64L << 20) int splicePipeSize,
            @JsonProperty("splice-pipe-budget") @Bytes(max = 1L << 40) long splicePipeBudget,
            @JsonProperty("kernel-nat") boolean kernelNat,
            @JsonProperty("kernel-nat-nft") Path kernelNatNft,
            @JsonProperty("kernel-nat-table") @Matches(regex = KernelNatConfig.TABLE_NAME, expected = KernelNatConfig.TABLE_NAME_EXPECTED)
            String kernelNatTable) {
        return new DataPolicy(allowForeignAddress, allowPrivilegedPorts, activeSourcePort, backendMode, backendActiveSource,
                backendPasvAddress, zeroCopy, splicePipeSize, splicePipeBudget, new KernelNatConfig(kernelNat, kernelNatNft, kernelNatTable));
    }

    public DataPolicy withZeroCopy(boolean on) {
        return new DataPolicy(allowForeignAddress, allowPrivilegedPorts, activeSourcePort, backendMode, backendActiveSource,
                backendPasvAddress, on, splicePipeSize, splicePipeBudget, kernelNat);
    }

    public DataPolicy withKernelNat(KernelNatConfig nat) {
        return new DataPolicy(allowForeignAddress, allowPrivilegedPorts, activeSourcePort, backendMode, backendActiveSource,
                backendPasvAddress, zeroCopy, splicePipeSize, splicePipeBudget, nat);
    }

    /** How the proxy's own data connections to the backend are made. */
    public enum BackendDataMode {
        /** EPSV to the backend, falling back to PASV if refused; the proxy connects out. */
        PASSIVE,
        /** PORT/EPRT to the backend; the backend connects to the proxy. */
        ACTIVE
    }

    /** Which address to use after a backend's 227. */
    public enum BackendPasvAddress {
        /** The backend's control address with the announced port (like nf_nat_ftp and mod_proxy). */
        CONTROL,
        /** The address the backend announced (needed only for backends with separate data hosts). */
        ANNOUNCED
    }
}
