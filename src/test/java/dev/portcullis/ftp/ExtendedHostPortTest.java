package dev.portcullis.ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ExtendedHostPortTest {

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        // RFC 2428 section 2 examples
        "|1|132.235.1.2|6275|; 132.235.1.2; 6275",
        "|2|1080::8:800:200C:417A|5282|; 1080::8:800:200C:417A; 5282",
        "!1!10.0.0.1!1025!; 10.0.0.1; 1025",
        "|2|::1|65535|; ::1; 65535",
        "$1$10.0.0.1$1025$; 10.0.0.1; 1025",      // delimiters that mean something in a regex
        "*2*::1*21*; ::1; 21",
    })
    void parsesEprt(String arg, String host, int port) throws Exception {
        assertThat(ExtendedHostPort.parseEprtArgument(arg)).contains(new InetSocketAddress(InetAddress.getByName(host), port));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "|1|132.235.1.2|0|",        // port 0
        "|1|132.235.1.2|65536|",
        "|1|132.235.1.2|6275",      // truncated
        "|1|132.235.1.2|6275||",    // a field too many
        "|1|132.235.1.2|6275|x",
        "|1|132.235.1.2!6275|",     // two delimiters
        "|3|132.235.1.2|6275|",     // unknown family
        "|1|1080::1|6275|",         // family mismatch
        "|2|132.235.1.2|6275|",
        "|1|example.com|6275|",     // a name: must never be resolved
        "|2|example.com|6275|",
        "|1|1000.2000.3000.4000|6275|",
        "|1|01.2.3.4.5|6275|",
        "|1|132.235.1.2|62a5|",
        "1|132.235.1.2|6275|",
        "",
        "|||",
    })
    void refusesHostileEprt(String arg) {
        assertThat(ExtendedHostPort.parseEprtArgument(arg)).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "Entering Extended Passive Mode (|||6446|); 6446",   // RFC 2428 section 3 example
        "Entering Extended Passive Mode (!!!1!); 1",
        "EPSV ok (|||65535|).; 65535",
    })
    void parses229(String text, int port) {
        assertThat(ExtendedHostPort.parseExtendedPassiveReply(text)).hasValue(port);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "Entering Extended Passive Mode (|||0|)",
        "Entering Extended Passive Mode (|||65536|)",
        "Entering Extended Passive Mode (|||6446)",
        "Entering Extended Passive Mode (||1.2.3.4|6446|)",
        "Entering Extended Passive Mode",
        "(|||-1|)",
    })
    void refusesHostile229(String text) {
        assertThat(ExtendedHostPort.parseExtendedPassiveReply(text)).isEmpty();
    }

    @Test
    void formatsAndRoundTrips() throws Exception {
        InetSocketAddress v4 = new InetSocketAddress(InetAddress.getByName("132.235.1.2"), 6275);
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("::1"), 5282);
        assertThat(ExtendedHostPort.formatEprt(v4)).isEqualTo("|1|132.235.1.2|6275|");
        assertThat(ExtendedHostPort.parseEprtArgument(ExtendedHostPort.formatEprt(v6))).contains(v6);
        assertThat(ExtendedHostPort.extendedPassiveReplyText(6446)).isEqualTo("Entering Extended Passive Mode (|||6446|)");
        assertThat(ExtendedHostPort.parseExtendedPassiveReply(ExtendedHostPort.extendedPassiveReplyText(50000))).hasValue(50000);
    }
}
