package dev.portcullis.ftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class HostPortTest {

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        // RFC 959 form, the FtpServer test vector, edges of every field
        "127,0,0,1,82,131; 127.0.0.1; 21123",
        "132,235,1,2,24,131; 132.235.1.2; 6275",
        "0,0,0,0,0,1; 0.0.0.0; 1",
        "255,255,255,255,255,255; 255.255.255.255; 65535",
        " 10,1,2,3,4,1 ; 10.1.2.3; 1025",
    })
    void parsesPortArguments(String arg, String host, int port) throws Exception {
        assertThat(HostPort.parsePortArgument(arg))
                .contains(new InetSocketAddress(InetAddress.getByName(host), port));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "0,0,0,0,0,0",           // port 0
        "1000,2000,3000,4000,1,2", // fields over 255
        "256,0,0,1,4,1",
        "127,0,0,1,4,256",
        "127,0,0,1,4",             // truncated
        "127,0,0,1,4,",
        "127,0,0,1,4,1,9",         // seven fields
        "127.0.0.1,4,1",
        "-1,0,0,1,4,1",
        "a,b,c,d,e,f",
        "",
        "127,0,0,1,4,1 ; rm -rf",
    })
    void refusesHostilePortArguments(String arg) {
        assertThat(HostPort.parsePortArgument(arg)).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "Entering Passive Mode (127,0,0,1,195,80).; 127.0.0.1; 50000",
        "Entering Passive Mode 10,0,0,5,4,1; 10.0.0.5; 1025",          // no parentheses (RFC 1123 says scan)
        "=10,0,0,5,4,1; 10.0.0.5; 1025",
        "Entering Passive Mode (0,0,0,0,1,2); 0.0.0.0; 258",           // unusable address, still parsed
    })
    void parsesPassiveReplies(String text, String host, int port) throws Exception {
        assertThat(HostPort.parsePassiveReply(text)).contains(new InetSocketAddress(InetAddress.getByName(host), port));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "Entering Passive Mode (1000,2000,3000,4000,1,2)",
        "Entering Passive Mode (127,0,0,1,0,0)",
        "Entering Passive Mode (127,0,0,1,4",
        "Entering Passive Mode",
    })
    void refusesHostilePassiveReplies(String text) {
        assertThat(HostPort.parsePassiveReply(text)).isEqualTo(Optional.empty());
    }

    @Test
    void formatsLikeRfc959() throws Exception {
        Inet4Address a = (Inet4Address) InetAddress.getByName("127.0.0.1");
        assertThat(HostPort.format(a, 21123)).isEqualTo("127,0,0,1,82,131");
        assertThat(HostPort.passiveReplyText(a, 50000)).isEqualTo("Entering Passive Mode (127,0,0,1,195,80).");
        assertThatThrownBy(() -> HostPort.format(a, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void formatThenParseRoundTrips() throws Exception {
        Inet4Address a = (Inet4Address) InetAddress.getByName("203.0.113.7");
        for (int port : new int[] {1, 255, 256, 1024, 50000, 65535}) {
            assertThat(HostPort.parsePortArgument(HostPort.format(a, port))).contains(new InetSocketAddress(a, port));
        }
    }
}
