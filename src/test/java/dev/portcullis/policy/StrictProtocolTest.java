package dev.portcullis.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.ftp.FtpCommand;
import org.junit.jupiter.api.Test;

class StrictProtocolTest {

    @Test
    void table() {
        assertThat(StrictProtocol.violation(FtpCommand.of("RETR f"), false, false)).isEmpty();
        assertThat(StrictProtocol.violation(FtpCommand.of("NOOP"), true, false)).contains("commands must end in CR LF");
        assertThat(StrictProtocol.violation(null, true, false)).contains("commands must end in CR LF");
        assertThat(StrictProtocol.violation(FtpCommand.of("227 Entering Passive Mode (192,0,2,1,4,1)"), false, false))
                .contains("a client may not send replies (227)");
        assertThat(StrictProtocol.violation(FtpCommand.of("LIST"), false, true))
                .contains("no command may follow PORT, EPRT, PASV or EPSV before its reply");
        assertThat(StrictProtocol.violation(FtpCommand.of("X227"), false, false)).isEmpty();
        assertThat(StrictProtocol.isDataSetup(FtpCommand.of("epsv"))).isTrue();
        assertThat(StrictProtocol.isDataSetup(FtpCommand.of("EPRT |1|192.0.2.1|5000|"))).isTrue();
        assertThat(StrictProtocol.isDataSetup(FtpCommand.of("RETR PORT"))).isFalse();
    }
}
