package dev.portcullis.transparent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.net.Cidr;
import dev.portcullis.config.TransparentConfig;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DestinationCheckTest {

    private static final TransparentConfig REDIRECT = new TransparentConfig(TransparentConfig.Mode.REDIRECT,
            List.of(Cidr.parse("203.0.113.0/24")), false);

    @Test
    void table() {
        assertThat(DestinationCheck.refusal(REDIRECT, Optional.of(new InetSocketAddress("203.0.113.2", 21)), 2121, a -> false)).isEmpty();
        assertThat(DestinationCheck.refusal(REDIRECT, Optional.empty(), 2121, a -> false)).get().asString().contains("unknown");
        assertThat(DestinationCheck.refusal(REDIRECT, Optional.of(new InetSocketAddress("198.51.100.9", 21)), 2121, a -> false))
                .contains("198.51.100.9:21 is not an allowed FTP server");
        // Allowed network, but the proxy's own address and listener port: a loop.
        assertThat(DestinationCheck.refusal(REDIRECT, Optional.of(new InetSocketAddress("203.0.113.1", 2121)), 2121, a -> true))
                .get().asString().contains("proxy itself");
        assertThat(DestinationCheck.refusal(REDIRECT, Optional.of(new InetSocketAddress("203.0.113.1", 21)), 2121, a -> true)).isEmpty();
    }
}
