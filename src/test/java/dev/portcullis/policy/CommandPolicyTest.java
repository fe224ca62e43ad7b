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
        // Found by ControlStreamFuzzIT: a second word after the name slipped past the check.
        for (String spelling : List.of("USER anonymous x", "USER ftp #t2", "USER \tanonymous\t", "USER  Anonymous")) {
            assertThat(p.check(FtpCommand.of(spelling)).allowed()).as(spelling).isFalse();
        }
        assertThat(p.check(FtpCommand.of("USER anonymousx")).allowed()).isTrue();
    }

    @Test
    void withoutRulesEverythingPassesAndAnonymousRefusalStillAppliesBesideADenyList() {
        CommandPolicy none = new CommandPolicy(List.of(), false);
        for (String c : List.of("USER anonymous", "SITE EXEC /bin/sh", "DELE f", "RETR f")) {
            assertThat(none.check(FtpCommand.of(c)).allowed()).as(c).isTrue();
        }
        CommandPolicy both = new CommandPolicy(List.of("DELE"), true);
        assertThat(both.check(FtpCommand.of("USER anonymous")).replyCode()).isEqualTo(530);
        assertThat(both.check(FtpCommand.of("DELE f")).replyCode()).isEqualTo(550);
        assertThat(both.check(FtpCommand.of("USER alice")).allowed()).isTrue();
    }

    @Test
    void allowListLetsOnlyWhatItNamesThrough() {
        CommandPolicy p = new CommandPolicy(List.of("SITE EXEC"), false, List.of("RETR", "LIST", "EPSV", "PASV", "TYPE", "site chmod"));
        assertThat(p.check(FtpCommand.of("RETR f")).allowed()).isTrue();
        assertThat(p.check(FtpCommand.of("SITE CHMOD 644 f")).allowed()).isTrue();
        assertThat(p.check(FtpCommand.of("SITE UMASK 022")).replyText()).isEqualTo("SITE UMASK is not allowed here.");
        assertThat(p.check(FtpCommand.of("STOR f")).replyCode()).isEqualTo(550);
        assertThat(p.check(FtpCommand.of("DELE f")).replyText()).isEqualTo("DELE is not allowed here.");
        for (String always : List.of("USER bob", "PASS x", "AUTH TLS", "PBSZ 0", "PROT P", "QUIT", "NOOP", "FEAT", "ABOR")) {
            assertThat(p.check(FtpCommand.of(always)).allowed()).as(always).isTrue();
        }
        assertThat(new CommandPolicy(List.of("SITE EXEC"), false, List.of("SITE")).check(FtpCommand.of("SITE EXEC x")).allowed())
                .as("deny wins").isFalse();
    }
}
