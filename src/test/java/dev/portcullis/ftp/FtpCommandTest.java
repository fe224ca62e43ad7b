package dev.portcullis.ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FtpCommandTest {

    @Test
    void keepsArgumentBytesExactlyAndUppercasesOnlyTheVerb() {
        byte[] line = "retr Ünïcödé  file.txt".getBytes(StandardCharsets.UTF_8);
        FtpCommand c = FtpCommand.parse(line);
        assertThat(c.verb()).isEqualTo("RETR");
        assertThat(c.argumentUtf8()).isEqualTo("Ünïcödé  file.txt");
        byte[] wire = c.wireBytes();
        assertThat(new String(wire, StandardCharsets.UTF_8)).isEqualTo("retr Ünïcödé  file.txt\r\n");
    }

    @Test
    void neverLogsPasswords() {
        assertThat(FtpCommand.of("PASS hunter2").loggable()).isEqualTo("PASS ****").doesNotContain("hunter2");
        assertThat(FtpCommand.of("PASS hunter2").toString()).doesNotContain("hunter2");
        assertThat(FtpCommand.of("ACCT secret").loggable()).doesNotContain("secret");
        assertThat(FtpCommand.of("NOOP").loggable()).isEqualTo("NOOP");
    }
}
