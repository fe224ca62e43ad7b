package dev.portcullis.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.data.setup.PassivePortPool;
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
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Property tests on generated inputs (a fixed seed, so a failure repeats; the edges first):
 * formatting then parsing is the identity, and rewrites stay in the configured range. Plain JUnit,
 * so that Surefire runs them (they were jqwik properties that no Surefire pattern matched).
 */
class AddressPropertyTest {

    private static final int TRIES = 2000;
    private final Random random = new Random(20261203);

    /** A port from 1 to 65535: the two ends on the first tries, then uniform. */
    private int port(int i) {
        return i == 0 ? 1 : i == 1 ? 65535 : 1 + random.nextInt(65535);
    }

    /** {@code n} bytes: all zero and all 0xff on the first tries, then random. */
    private byte[] bytes(int i, int n) {
        byte[] b = new byte[n];
        if (i == 1) {
            java.util.Arrays.fill(b, (byte) 0xff);
        } else if (i > 1) {
            random.nextBytes(b);
        }
        return b;
    }

    @Test
    void portFormRoundTrips() throws Exception {
        for (int i = 0; i < TRIES; i++) {
            portFormRoundTrips(bytes(i, 4), port(i));
        }
    }

    private void portFormRoundTrips(byte[] ip, int port) throws Exception {
        Inet4Address a = (Inet4Address) InetAddress.getByAddress(ip);
        String arg = HostPort.format(a, port);
        assertThat(HostPort.parsePortArgument(arg)).contains(new InetSocketAddress(a, port));
        assertThat(HostPort.parsePassiveReply(HostPort.passiveReplyText(a, port))).contains(new InetSocketAddress(a, port));
    }

    @Test
    void eprtRoundTrips() throws Exception {
        for (int i = 0; i < TRIES; i++) {
            eprtRoundTrips(bytes(i, 16), bytes(i, 4), i % 2 == 0, port(i));
        }
    }

    private void eprtRoundTrips(byte[] ip6, byte[] ip4, boolean v6, int port) throws Exception {
        InetAddress a = v6 ? Inet6Address.getByAddress(null, ip6, null) : InetAddress.getByAddress(ip4);
        InetSocketAddress target = new InetSocketAddress(a, port);
        InetSocketAddress parsed = ExtendedHostPort.parseEprtArgument(ExtendedHostPort.formatEprt(target)).orElseThrow();
        assertThat(parsed.getPort()).isEqualTo(port);
        // An IPv4-mapped IPv6 address legitimately comes back as its IPv4 form.
        assertThat(dev.portcullis.net.Addresses.sameHost(parsed.getAddress(), a)).isTrue();
    }

    @Test
    void extendedPassiveRoundTrips() {
        for (int i = 0; i < TRIES; i++) {
            int port = port(i);
            assertThat(ExtendedHostPort.parseExtendedPassiveReply(ExtendedHostPort.extendedPassiveReplyText(port))).isEqualTo(OptionalInt.of(port));
        }
    }

    @Test
    void passiveRepliesNeverLeaveThePublicAddressAndRange() throws Exception {
        for (int i = 0; i < 300; i++) {
            int low = i == 0 ? 1024 : i == 1 ? 60000 : 1024 + random.nextInt(60000 - 1024 + 1);
            int size = i == 0 ? 1 : i == 1 ? 64 : 1 + random.nextInt(64);
            List<Boolean> acquireOrRelease = new java.util.ArrayList<>();
            for (int n = random.nextInt(201); n > 0; n--) {
                acquireOrRelease.add(random.nextInt(3) > 0); // acquiring more often than releasing fills the pool
            }
            passiveRepliesNeverLeaveThePublicAddressAndRange(low, size, acquireOrRelease, bytes(i, 4));
        }
    }

    private void passiveRepliesNeverLeaveThePublicAddressAndRange(int low, int size, List<Boolean> acquireOrRelease,
                                                                  byte[] publicIp) throws Exception {
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
