package dev.portcullis.guard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.policy.Verdict;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class BounceGuardTest {

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void allowsOnlyTheClientsOwnAddressOnUnprivilegedPorts() throws Exception {
        BounceGuard strict = new BounceGuard(false, false);
        InetAddress client = ip("198.51.100.10");
        assertThat(strict.check(client, new InetSocketAddress(client, 40000), "PORT").allowed()).isTrue();
        Verdict foreign = strict.check(client, new InetSocketAddress(ip("203.0.113.10"), 40000), "PORT");
        assertThat(foreign.allowed()).isFalse();
        assertThat(foreign.replyCode()).isEqualTo(500); // as vsftpd, ProFTPD and Pure-FTPd: "500 Illegal PORT command"
        assertThat(foreign.replyText()).contains("203.0.113.10").contains("not your own");
        assertThat(strict.check(client, new InetSocketAddress(client, 25), "EPRT").allowed()).isFalse();
        assertThat(strict.check(client, new InetSocketAddress(client, 1023), "EPRT").replyText()).contains("below 1024");
    }

    @Test
    void seesThroughIpv4MappedAddresses() throws Exception {
        BounceGuard strict = new BounceGuard(false, false);
        assertThat(strict.check(ip("::ffff:198.51.100.10"), new InetSocketAddress(ip("198.51.100.10"), 40000), "PORT").allowed()).isTrue();
    }

    @Test
    void fxpSwitchAllowsForeignAddressesButStillNotPrivilegedPorts() throws Exception {
        BounceGuard fxp = new BounceGuard(true, false);
        InetAddress client = ip("198.51.100.10");
        assertThat(fxp.check(client, new InetSocketAddress(ip("203.0.113.10"), 40000), "PORT").allowed()).isTrue();
        assertThat(fxp.check(client, new InetSocketAddress(ip("203.0.113.10"), 21), "PORT").allowed()).isFalse();
    }
}
