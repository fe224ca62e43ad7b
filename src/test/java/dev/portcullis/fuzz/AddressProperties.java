package dev.portcullis.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.data.PassivePortPool;
import dev.portcullis.ftp.ExtendedHostPort;
import dev.portcullis.ftp.HostPort;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.OptionalInt;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Property tests: formatting then parsing is the identity, and rewrites stay in the configured range. */
class AddressProperties {

    @Property(tries = 2000)
    void portFormRoundTrips(@ForAll @Size(4) byte[] ip, @ForAll @IntRange(min = 1, max = 65535) int port) throws Exception {
        Inet4Address a = (Inet4Address) InetAddress.getByAddress(ip);
        String arg = HostPort.format(a, port);
        assertThat(HostPort.parsePortArgument(arg)).contains(new InetSocketAddress(a, port));
        assertThat(HostPort.parsePassiveReply(HostPort.passiveReplyText(a, port))).contains(new InetSocketAddress(a, port));
    }

    @Property(tries = 2000)
    void eprtRoundTrips(@ForAll @Size(16) byte[] ip6, @ForAll @Size(4) byte[] ip4, @ForAll boolean v6,
                        @ForAll @IntRange(min = 1, max = 65535) int port) throws Exception {
        InetAddress a = v6 ? Inet6Address.getByAddress(null, ip6, null) : InetAddress.getByAddress(ip4);
        InetSocketAddress target = new InetSocketAddress(a, port);
        InetSocketAddress parsed = ExtendedHostPort.parseEprtArgument(ExtendedHostPort.formatEprt(target)).orElseThrow();
        assertThat(parsed.getPort()).isEqualTo(port);
        // An IPv4-mapped IPv6 address legitimately comes back as its IPv4 form.
        assertThat(dev.portcullis.data.Addresses.sameHost(parsed.getAddress(), a)).isTrue();
    }

    @Property(tries = 2000)
    void extendedPassiveRoundTrips(@ForAll @IntRange(min = 1, max = 65535) int port) {
        assertThat(ExtendedHostPort.parseExtendedPassiveReply(ExtendedHostPort.extendedPassiveReplyText(port))).isEqualTo(OptionalInt.of(port));
    }

    @Property(tries = 300)
    void passiveRepliesNeverLeaveThePublicAddressAndRange(@ForAll @IntRange(min = 1024, max = 60000) int low,
                                                         @ForAll @IntRange(min = 1, max = 64) int size,
                                                         @ForAll @Size(max = 200) List<Boolean> acquireOrRelease,
                                                         @ForAll @Size(4) byte[] publicIp) throws Exception {
        Inet4Address publicAddress = (Inet4Address) InetAddress.getByAddress(publicIp);
        PassivePortPool pool = new PassivePortPool(low, low + size - 1);
        Deque<Integer> held = new ArrayDeque<>();
        for (boolean acquire : acquireOrRelease) {
            if (acquire) {
                OptionalInt port = pool.acquire();
                if (held.size() == size) {
                    assertThat(port).isEmpty();
                    continue;
                }
                int p = port.orElseThrow();
                assertThat(held).doesNotContain(p);
                held.push(p);
                InetSocketAddress announced = HostPort.parsePassiveReply(HostPort.passiveReplyText(publicAddress, p)).orElseThrow();
                assertThat(announced.getAddress()).isEqualTo(publicAddress);
                assertThat(announced.getPort()).isBetween(low, low + size - 1);
                assertThat(ExtendedHostPort.parseExtendedPassiveReply(ExtendedHostPort.extendedPassiveReplyText(p)).getAsInt())
                        .isBetween(low, low + size - 1);
            } else if (!held.isEmpty()) {
                pool.release(held.pop());
            }
            assertThat(pool.available()).isEqualTo(size - held.size());
        }
    }
}
