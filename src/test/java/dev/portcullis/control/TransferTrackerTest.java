package dev.portcullis.control;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Transfer commands the session refuses itself, before anything reaches the backend. */
class TransferTrackerTest {

    @Test
    void aTransferWithoutADataSetupGets425() throws Exception {
        SessionFixture f = new SessionFixture(c -> c);
        for (String verb : new String[] {"RETR f", "STOR f", "LIST", "NLST", "MLSD", "APPE f", "STOU"}) {
            assertThat(f.command(verb)).as(verb).isEqualTo("425 Use PASV, EPSV, PORT or EPRT first.\r\n");
        }
        assertThat(f.session.transfers().running()).isFalse();
    }

    @Test
    void aRefusedDataSetupLeavesNothingForTheNextTransfer() throws Exception {
        SessionFixture f = new SessionFixture(c -> c);
        assertThat(f.command("PORT 192,0,2,10,200,1")).startsWith("500 ");
        assertThat(f.command("RETR f")).isEqualTo("425 Use PASV, EPSV, PORT or EPRT first.\r\n");
    }

    @Test
    void repliesKeepCommandOrderOneEach() throws Exception {
        SessionFixture f = new SessionFixture(c -> c);
        f.session.onClientMessage(dev.portcullis.ftp.FtpCommand.of("RETR a"));
        f.session.onClientMessage(dev.portcullis.ftp.FtpCommand.of("EPSV 3"));
        f.session.onClientMessage(dev.portcullis.ftp.FtpCommand.of("LIST"));
        assertThat(f.command("LPRT")).isEqualTo("425 Use PASV, EPSV, PORT or EPRT first.\r\n"
                + "522 Network protocol not supported, use (1,2).\r\n"
                + "425 Use PASV, EPSV, PORT or EPRT first.\r\n"
                + "500 LPRT is not supported; use EPSV or EPRT.\r\n");
    }

    @Test
    void beforeLoginTransferAndDataSetupCommandsGetTheServers530AndNothingIsSetUp() throws Exception {
        SessionFixture f = new SessionFixture(c -> c, false);
        for (String command : new String[] {"RETR f", "STOR f", "LIST", "NLST", "MLSD", "PASV", "EPSV", "PORT 127,0,0,1,200,1",
                "EPRT |1|127.0.0.1|51201|", "PORT 192,0,2,10,200,1"}) {
            assertThat(f.command(command)).as(command).isEqualTo("530 Please login with USER and PASS.\r\n");
        }
        assertThat(f.session.data().readySetup()).isNull();
        assertThat(f.session.ctx().portBudget().held(f.session.clientAddress())).isZero();
    }
}
