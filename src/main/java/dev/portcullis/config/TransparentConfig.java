package dev.portcullis.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.portcullis.net.Cidr;
import java.util.List;

/**
 * Transparent mode for firewall appliances: connections redirected to the proxy by nftables or
 * iptables are relayed to the FTP server the client was actually connecting to.
 *
 * @param mode             off; {@code tproxy} (the listener has IP_TRANSPARENT and the original destination is
 *                         the accepted socket's local address); {@code redirect} (NAT REDIRECT/DNAT: the original
 *                         destination is read with SO_ORIGINAL_DST)
 * @param allowDestinations the only networks an original destination may be in; anything else gets 421
 * @param spoofClient      open the backend-side connections from the client's own address (IP_TRANSPARENT on
 *                         the outgoing socket; needs the return traffic routed back through the proxy)
 */
public record TransparentConfig(Mode mode, List<Cidr> allowDestinations, @JsonProperty("spoof-client-address") boolean spoofClient) {

    public enum Mode { OFF, TPROXY, REDIRECT }

    public static final TransparentConfig OFF = new TransparentConfig(Mode.OFF, List.of(), false);

    public TransparentConfig {
        allowDestinations = List.copyOf(allowDestinations);
    }

    public boolean enabled() {
        return mode != Mode.OFF;
    }
}
