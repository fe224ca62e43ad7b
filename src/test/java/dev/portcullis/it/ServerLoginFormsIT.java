package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.PortcullisServer;
import dev.portcullis.testing.FakeFtpBackend;
import dev.portcullis.testing.FtpTestClient;
import dev.portcullis.testing.ProxyHarness;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Logins as servers really answer them (curl's test server among them): any 2xx to USER or PASS
 * logs the session in, as clients take it, so the commands after it reach the server.
 */
class ServerLoginFormsIT {

    @ParameterizedTest
    @ValueSource(strings = {"USER|200 logged in without a password", "USER|230 no password needed",
            "PASS|202 password superfluous here"})
    void anyPositiveCompletionToALoginCommandIsALogin(String script) throws Exception {
        String[] verbAndReply = script.split("\\|");
        try (FakeFtpBackend backend = new FakeFtpBackend().reply(verbAndReply[0], verbAndReply[1])) {
            PortcullisServer proxy = new PortcullisServer(ProxyHarness.baseConfig(backend.port())).start();
            try (FtpTestClient c = FtpTestClient.connect(proxy.boundAddresses().get(0))) {
                assertThat(c.readReply().code()).isEqualTo(220);
                int user = c.command("USER someone").code();
                if (user == 331) {
                    assertThat(c.command("PASS secret").code()).isEqualTo(202);
                } else {
                    assertThat(user).isEqualTo(Integer.parseInt(verbAndReply[1].substring(0, 3)));
                }
                // The proxy lets data commands through only after a login: this one must go through.
                assertThat(c.command("EPSV").code()).as("EPSV after the login").isEqualTo(229);
                assertThat(backend.received()).anyMatch(line -> line.startsWith("EPSV") || line.startsWith("PASV"));
            } finally {
                proxy.stop();
            }
        }
    }

    /** A server that greets with 230 has logged the session in already (RFC 959): no USER needed. */
    @org.junit.jupiter.api.Test
    void aGreetingOf230IsALogin() throws Exception {
        try (FakeFtpBackend backend = new FakeFtpBackend().greeting("230 welcome, you are logged in")) {
            PortcullisServer proxy = new PortcullisServer(ProxyHarness.baseConfig(backend.port())).start();
            try (FtpTestClient c = FtpTestClient.connect(proxy.boundAddresses().get(0))) {
                assertThat(c.readReply().code()).isEqualTo(230);
                assertThat(c.command("EPSV").code()).as("EPSV with no USER sent").isEqualTo(229);
            } finally {
                proxy.stop();
            }
        }
    }
}
