package dev.portcullis.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ClientNetworkTest {

    @ParameterizedTest
    @CsvSource({
            "203.0.113.7, 64, 203.0.113.7",
            "::ffff:203.0.113.7, 64, 203.0.113.7",
            "2001:db8:1:2:aaaa:bbbb:cccc:dddd, 64, 2001:db8:1:2:0:0:0:0",
            "2001:db8:1:2:aaaa:bbbb:cccc:dddd, 56, 2001:db8:1:0:0:0:0:0",
            "2001:db8:1:2ff:aaaa::1, 60, 2001:db8:1:2f0:0:0:0:0",
            "2001:db8:1:2:aaaa:bbbb:cccc:dddd, 128, 2001:db8:1:2:aaaa:bbbb:cccc:dddd",
            "::1, 64, 0:0:0:0:0:0:0:0",
    })
    void keysIpv6ByNetworkAndIpv4ByAddress(String address, int prefix, String key) throws Exception {
        assertThat(ClientNetwork.of(InetAddress.getByName(address), prefix).getHostAddress()).isEqualTo(key);
    }
}
