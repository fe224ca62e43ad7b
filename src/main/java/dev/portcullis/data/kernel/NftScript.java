package dev.portcullis.data.kernel;

import java.time.Duration;
import java.util.Optional;

/**
 * The nft commands that make and unmake mappings, and the reading of what nft echoes back.
 * Pure text, so that what goes to the kernel is tested as text.
 *
 * <p>Two maps with the same key (client . public address . public port, unique while the proxy holds
 * that passive port): {@code data_dnat} sends a new connection from the client to one of the proxy's
 * passive ports on to the backend's data port; {@code data_snat} makes it come from the proxy's own
 * address towards that backend. The SNAT map is looked up by the connection's original (pre-DNAT)
 * tuple, not by the backend's port: a server reuses a passive port as soon as it has accepted on it,
 * so a key of backend address and port could name two sessions' mappings at once, and removing one
 * would remove the other. Only the first packet of a connection goes through NAT chains; conntrack carries
 * the rest, so removing a mapping once the transfer is over never cuts a connection.
 */
public final class NftScript {

    static final String DNAT_MAP = "data_dnat";
    static final String SNAT_MAP = "data_snat";

    private NftScript() {
    }

    /** Creates the table afresh (a table left by a proxy that was killed is replaced). */
    public static String createTable(String table) {
        String lookup = "meta l4proto tcp dnat ip to ip saddr . ip daddr . tcp dport map @data_dnat";
        return "add table ip " + table + "\n"
                + "delete table ip " + table + "\n"
                + "table ip " + table + " {\n"
                + "  map data_dnat { type ipv4_addr . ipv4_addr . inet_service : ipv4_addr . inet_service; flags timeout; }\n"
                + "  map data_snat { type ipv4_addr . ipv4_addr . inet_service : ipv4_addr; flags timeout; }\n"
                // Clients from elsewhere arrive through prerouting; clients on this host through output.
                + "  chain prerouting { type nat hook prerouting priority dstnat; policy accept; " + lookup + "; }\n"
                + "  chain output { type nat hook output priority -100; policy accept; " + lookup + "; }\n"
                + "  chain postrouting { type nat hook postrouting priority srcnat; policy accept; "
                + "ct status dnat meta l4proto tcp snat ip to ct original ip saddr . ct original ip daddr . ct original proto-dst map @data_snat; }\n"
                + "}\n";
    }

    public static String deleteTable(String table) {
        return "delete table ip " + table + "\n";
    }

    /**
     * One line, one transaction: both elements or neither. {@code ttl} bounds an element the proxy
     * never removes (it is always removed when its transfer or expectation ends).
     */
    public static String add(String table, NatMapping m, Duration ttl) {
        String timeout = " timeout " + Math.max(1, ttl.toSeconds()) + "s";
        return "add element ip " + table + " data_snat { " + m.key() + timeout + " : " + m.source().getHostAddress() + " }; "
                + "add element ip " + table + " data_dnat { " + m.key() + timeout + " : "
                + m.backend().getHostAddress() + " . " + m.backendPort() + " }\n";
    }

    public static String remove(String table, NatMapping m) {
        return "delete element ip " + table + " data_dnat { " + m.key() + " }; "
                + "delete element ip " + table + " data_snat { " + m.key() + " }\n";
    }

    /** The key of a DNAT element nft echoes as added ({@code nft -e}), if the line is one. */
    public static Optional<String> addedKey(String table, String line) {
        return keyAfter("add element ip " + table + " data_dnat { ", line);
    }

    /**
     * The key of the first element of ours in a command nft quotes under an error (it quotes the whole
     * input line), if the line is one of ours.
     */
    public static Optional<String> quotedKey(String table, String line) {
        int best = -1;
        String bestPrefix = null;
        for (String prefix : new String[] {"add element ip " + table + " data_dnat { ", "add element ip " + table + " data_snat { "}) {
            int at = line.indexOf(prefix);
            if (at >= 0 && (best < 0 || at < best)) {
                best = at;
                bestPrefix = prefix;
            }
        }
        return best < 0 ? Optional.empty() : keyAfter(bestPrefix, line.substring(best));
    }

    private static Optional<String> keyAfter(String prefix, String line) {
        if (!line.startsWith(prefix)) {
            return Optional.empty();
        }
        String rest = line.substring(prefix.length());
        int end = rest.indexOf(" timeout ");
        if (end < 0) {
            end = rest.indexOf(" : ");
        }
        return end <= 0 ? Optional.empty() : Optional.of(rest.substring(0, end));
    }
}
