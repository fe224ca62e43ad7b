package dev.portcullis.rewrite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.ftp.FtpReply;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The rewritten data addresses, table-tested with the RFC 959 and RFC 2428 examples' forms. */
class DataAddressRewriterTest {

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            // RFC 959: h1,h2,h3,h4,p1,p2 with port = p1 * 256 + p2
            "false; 203.0.113.7; 50000; 227 Entering Passive Mode (203,0,113,7,195,80).",
            "false; 192.0.2.1; 1024; 227 Entering Passive Mode (192,0,2,1,4,0).",
            "false; 198.51.100.255; 65535; 227 Entering Passive Mode (198,51,100,255,255,255).",
            // RFC 2428: 229 Entering Extended Passive Mode (|||6446|), no address
            "true; 203.0.113.7; 6446; 229 Entering Extended Passive Mode (|||6446|)",
            "true; 203.0.113.7; 50000; 229 Entering Extended Passive Mode (|||50000|)",
    })
    void passiveReplies(boolean extended, String announce, int port, String expected) throws Exception {
        FtpReply r = DataAddressRewriter.passiveReply(extended, (Inet4Address) InetAddress.getByName(announce), port);
        assertThat(new String(r.raw(), StandardCharsets.US_ASCII)).isEqualTo(expected + "\r\n");
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "192.0.2.10; 40123; PORT 192,0,2,10,156,187",
            // RFC 2428's examples: EPRT |1|132.235.1.2|6275| and EPRT |2|1080::8:800:200C:417A|5282|
            "1080::8:800:200C:417A; 5282; EPRT |2|1080:0:0:0:8:800:200c:417a|5282|",
            "::1; 40000; EPRT |2|0:0:0:0:0:0:0:1|40000|",
    })
    void activeCommands(String host, int port, String expected) throws Exception {
        assertThat(DataAddressRewriter.activeCommand(new InetSocketAddress(InetAddress.getByName(host), port))).isEqualTo(expected);
    }
}
