package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.PortcullisServer;
import dev.portcullis.config.PortRange;
import dev.portcullis.testing.FakeFtpBackend;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.FtpTestClient.Reply;
import dev.portcullis.testing.ProxyHarness;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 28 item 10: a 227, 228 or 229 from the backend that answers nothing the proxy asked (the
 * greeting, the reply to another command, the reply to the proxy's own EPSV) would hand the
 * client the backend's data address. None reaches the client: a greeting becomes 421 and the
 * session closes; any other reply becomes 451. A passive-mode line inside another reply keeps
 * the reply's code and loses its text.
 */
class UnsolicitedPassiveReplyIT {

    private static final List<String> LEAKS = List.of(
            "227 Entering Passive Mode (10,9,8,7,200,1).",
            "229 Entering Extended Passive Mode (|||51201|)",
            "228 Entering Long Passive Mode (4,4,10,9,8,7,2,200,1)");

    private static PortcullisServer proxyTo(FakeFtpBackend fake) throws Exception {
        return new PortcullisServer(ProxyHarness.baseConfig(fake.port()).withPassivePorts(new PortRange(33950, 33969))).start();
    }

    /** Everything the client receives until the proxy closes the connection. */
    private static String readToEnd(FtpTestClient c) throws Exception {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        InputStream in = c.socket().getInputStream();
        in.transferTo(all);
        return all.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void aPassiveGreetingBecomes421() throws Exception {
        for (String leak : LEAKS) {
            try (FakeFtpBackend fake = new FakeFtpBackend().greeting(leak); PortcullisServer p = proxyTo(fake);
                 FtpTestClient c = FtpTestClient.connect(p.boundAddresses().get(0))) {
                c.socket().setSoTimeout(5_000);
                String seen = readToEnd(c);
                assertThat(seen).as(leak).startsWith("421 ").doesNotContain("10,9,8,7").doesNotContain("51201").doesNotContain("Passive");
            }
        }
    }

    @Test
    void aMultiLinePassiveGreetingBecomes421() throws Exception {
        try (FakeFtpBackend fake = new FakeFtpBackend().greeting("227-Entering Passive Mode (10,9,8,7,200,1)\r\n227 ready");
             PortcullisServer p = proxyTo(fake); FtpTestClient c = FtpTestClient.connect(p.boundAddresses().get(0))) {
            c.socket().setSoTimeout(5_000);
            assertThat(readToEnd(c)).startsWith("421 ").doesNotContain("10,9,8,7");
        }
    }

    /** Found by BackendReplyFuzzIT: a passive-mode line inside a 220 greeting or a 211 reply. The code stays, the text goes. */
    @Test
    void aPassiveLineInsideAMultiLineReplyIsNotRelayed() throws Exception {
        try (FakeFtpBackend fake = new FakeFtpBackend().greeting("220-welcome\r\n227 Entering Passive Mode (10,9,8,7,200,1)\r\n220 ready");
             PortcullisServer p = proxyTo(fake); FtpTestClient c = FtpTestClient.connect(p.boundAddresses().get(0))) {
            c.socket().setSoTimeout(5_000);
            Reply greeting = c.readReply();
            assertThat(greeting.code()).isEqualTo(220);
            assertThat(greeting.all()).doesNotContain("10,9,8,7");
            assertThat(c.command("NOOP").code()).isEqualTo(200);
        }
        try (FakeFtpBackend fake = new FakeFtpBackend().reply("STAT", "211-Status\r\n229-Entering Extended Passive Mode (|||51201|)\r\n211 End");
             PortcullisServer p = proxyTo(fake); FtpTestClient c = FtpTestClient.login(p.boundAddresses().get(0), "u", "p")) {
            c.socket().setSoTimeout(5_000);
            Reply r = c.command("STAT");
            assertThat(r.all()).doesNotContain("51201");
            assertThat(r.code()).isEqualTo(211);
        }
    }

    /** Found by BackendReplyFuzzIT: a backend's 421 was relayed and the session left open, the client waiting for the close. */
    @Test
    void aBackendsFinal421EndsTheSession() throws Exception {
        try (FakeFtpBackend fake = new FakeFtpBackend().reply("SYST", "421 going away"); PortcullisServer p = proxyTo(fake);
             FtpTestClient c = FtpTestClient.login(p.boundAddresses().get(0), "u", "p")) {
            c.socket().setSoTimeout(5_000);
            assertThat(c.command("SYST").code()).isEqualTo(421);
            assertThat(c.isClosedByPeer()).isTrue();
        }
    }

    @Test
    void aPassiveReplyToAnotherCommandBecomes451() throws Exception {
        for (String leak : LEAKS) {
            try (FakeFtpBackend fake = new FakeFtpBackend().reply("NOOP", leak).reply("SYST", leak); PortcullisServer p = proxyTo(fake);
                 FtpTestClient c = FtpTestClient.login(p.boundAddresses().get(0), "u", "p")) {
                c.socket().setSoTimeout(5_000);
                for (String verb : List.of("NOOP", "SYST")) {
                    Reply r = c.command(verb);
                    assertThat(r.code()).as(verb + " answered " + leak).isEqualTo(451);
                    assertThat(r.all()).doesNotContain("10,9,8,7").doesNotContain("51201");
                }
                assertThat(c.command("PWD").code()).isEqualTo(200); // the session goes on
            }
        }
    }

    @Test
    void aPassiveReplyToTheProxysOwnEpsvOrToRetrIsNotRelayed() throws Exception {
        try (FakeFtpBackend fake = new FakeFtpBackend().reply("EPSV", LEAKS.get(0)); PortcullisServer p = proxyTo(fake);
             FtpTestClient c = FtpTestClient.login(p.boundAddresses().get(0), "u", "p")) {
            c.socket().setSoTimeout(5_000);
            // The proxy asks the backend EPSV, which answers 227: not a 229, so the proxy falls back
            // to PASV towards it (as clients do after any answer but 229); the client gets the
            // proxy's own 227, never the backend's.
            Reply r = c.command("PASV");
            assertThat(r.all()).doesNotContain("10,9,8,7");
            assertThat(r.code()).isEqualTo(227);
            assertThat(r.last()).contains("(127,0,0,1,");
        }
        try (FakeFtpBackend fake = new FakeFtpBackend().reply("RETR", LEAKS.get(1)); PortcullisServer p = proxyTo(fake);
             FtpTestClient c = FtpTestClient.login(p.boundAddresses().get(0), "u", "p")) {
            c.socket().setSoTimeout(5_000);
            c.pasv();
            Reply r = c.command("RETR x");
            assertThat(r.all()).doesNotContain("51201");
            assertThat(r.code()).isIn(426, 451); // 426: no data connection came, whatever the backend said
            assertThat(c.command("NOOP").code()).isEqualTo(200);
        }
    }
}
