package dev.portcullis.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.portcullis.ftp.ExtendedHostPort;
import dev.portcullis.ftp.HostPort;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Fuzz targets for every address parser (Jazzer): whatever the input, a parser either refuses it
 * or returns a port in 1-65535 whose formatted form parses back to the same value; and it never
 * resolves a name (a resolved name would show up as an unresolved or hostname-bearing address).
 */
class AddressFuzzTest {

    @FuzzTest(maxDuration = "30s")
    void portArgument(FuzzedDataProvider data) {
        String s = data.consumeRemainingAsString();
        Optional<InetSocketAddress> a = HostPort.parsePortArgument(s);
        a.ifPresent(AddressFuzzTest::assertRoundTripsAsPort);
        HostPort.parsePassiveReply(s).ifPresent(AddressFuzzTest::assertRoundTripsAsPort);
    }

    @FuzzTest(maxDuration = "30s")
    void extendedForms(FuzzedDataProvider data) {
        String s = data.consumeRemainingAsString();
        ExtendedHostPort.parseEprtArgument(s).ifPresent(a -> {
            assertThat(a.isUnresolved()).isFalse();
            assertThat(a.getPort()).isBetween(1, 65535);
            assertThat(ExtendedHostPort.parseEprtArgument(ExtendedHostPort.formatEprt(a))).contains(a);
        });
        OptionalInt port = ExtendedHostPort.parseExtendedPassiveReply(s);
        if (port.isPresent()) {
            assertThat(port.getAsInt()).isBetween(1, 65535);
            assertThat(ExtendedHostPort.parseExtendedPassiveReply(ExtendedHostPort.extendedPassiveReplyText(port.getAsInt())))
                    .isEqualTo(port);
        }
    }

    private static void assertRoundTripsAsPort(InetSocketAddress a) {
        assertThat(a.getPort()).isBetween(1, 65535);
        assertThat(a.getAddress()).isInstanceOf(Inet4Address.class);
        String formatted = HostPort.format((Inet4Address) a.getAddress(), a.getPort());
        assertThat(HostPort.parsePortArgument(formatted)).contains(a);
    }
}
