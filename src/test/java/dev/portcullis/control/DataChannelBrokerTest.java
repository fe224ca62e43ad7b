package dev.portcullis.control;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The data-setup commands a session answers itself, through the session's real dispatch. */
class DataChannelBrokerTest {

    @Test
    void portToAnotherHostIsABounceAndRefused() throws Exception {
        SessionFixture f = new SessionFixture(c -> c);
        assertThat(f.command("PORT 192,0,2,10,200,1")).startsWith("500 ").contains("192.0.2.10").contains("not your own");
        assertThat(f.command("EPRT |1|198.51.100.7|51201|")).startsWith("500 ");
    }

    @Test
    void portToAPrivilegedPortOfTheClientItselfIsRefused() throws Exception {
        SessionFixture f = new SessionFixture(c -> c);
        assertThat(f.command("EPRT |1|127.0.0.1|25|")).startsWith("500 ").contains("below 1024");
    }

    @Test
    void malformedArgumentsAreSyntaxErrors() throws Exception {
        SessionFixture f = new SessionFixture(c -> c);
        assertThat(f.command("PORT 1,2,3")).isEqualTo("501 Syntax error in PORT arguments.\r\n");
        assertThat(f.command("EPRT |9|x|1|")).isEqualTo("501 Syntax error in EPRT arguments.\r\n");
        assertThat(f.command("EPSV 3")).isEqualTo("522 Network protocol not supported, use (1,2).\r\n");
    }

    @Test
    void afterEpsvAllOnlyEpsvSetsUpData() throws Exception {
        SessionFixture f = new SessionFixture(c -> c);
        assertThat(f.command("EPSV ALL")).isEqualTo("200 EPSV ALL command successful.\r\n");
        assertThat(f.command("PASV")).isEqualTo("503 EPSV ALL is in effect: only EPSV is accepted.\r\n");
        assertThat(f.command("PORT 127,0,0,1,200,1")).isEqualTo("503 EPSV ALL is in effect: only EPSV is accepted.\r\n");
        assertThat(f.command("EPRT |1|127.0.0.1|51201|")).isEqualTo("503 EPSV ALL is in effect: only EPSV is accepted.\r\n");
    }

    @Test
    void longAddressCommandsAreNotRelayed() throws Exception {
        SessionFixture f = new SessionFixture(c -> c);
        assertThat(f.command("LPSV")).isEqualTo("500 LPSV is not supported; use EPSV or EPRT.\r\n");
    }
}
