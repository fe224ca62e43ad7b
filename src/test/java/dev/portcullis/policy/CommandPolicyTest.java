package dev.portcullis.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.ftp.FtpCommand;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommandPolicyTest {

    @Test
    void refusesDeniedVerbsAndVerbSubcommandPairs() {
        CommandPolicy p = new CommandPolicy(List.of("site  exec", "DELE"), false);
        assertThat(p.check(FtpCommand.of("SITE EXEC /bin/sh")).replyCode()).isEqualTo(550);
        assertThat(p.check(FtpCommand.of("site exec x")).allowed()).isFalse();
        assertThat(p.check(FtpCommand.of("SITE CHMOD 644 f")).allowed()).isTrue();
        assertThat(p.check(FtpCommand.of("DELE f")).replyText()).isEqualTo("DELE is not allowed here.");
        assertThat(p.check(FtpCommand.of("RETR f")).allowed()).isTrue();
        assertThat(p.check(FtpCommand.of("USER anonymous")).allowed()).isTrue();
    }

    @Test
    void refusesAnonymousLoginsWhenConfigured() {
        CommandPolicy p = new CommandPolicy(List.of(), true);
        assertThat(p.check(FtpCommand.of("USER anonymous")).replyCode()).isEqualTo(530);
        assertThat(p.check(FtpCommand.of("USER FTP")).allowed()).isFalse();
        assertThat(p.check(FtpCommand.of("USER alice")).allowed()).isTrue();
    }
}
