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

    /** Item 4: the verb ends where any server would end it; the relayed line always splits it with one space. */
    @Test
    void verbEndsAtAnyWhitespaceAndIsRelayedWithOneSpace() {
        String[][] table = {
            // line, verb, argument, relayed line, well-formed
            {"DELE\tfile", "DELE", "file", "DELE file", "true"},
            {"dele\tfile", "DELE", "file", "dele file", "true"},
            {"SITE\tCHMOD 777 f", "SITE", "CHMOD 777 f", "SITE CHMOD 777 f", "true"},
            {"USER\u000banonymous", "USER", "anonymous", "USER anonymous", "true"},
            {"PORT\f127,0,0,1,4,1", "PORT", "127,0,0,1,4,1", "PORT 127,0,0,1,4,1", "true"},
            {"RETR  two spaces\t", "RETR", " two spaces\t", "RETR  two spaces\t", "true"},
            {"RETR \tx", "RETR", "\tx", "RETR \tx", "true"},
            {"NOOP", "NOOP", "", "NOOP", "true"},
            {" DELE f", "", "DELE f", " DELE f", "false"},
            {"\tDELE f", "", "DELE f", " DELE f", "false"},
            {"DE1E f", "DE1E", "f", "DE1E f", "false"},
            {"DELE\u0001f", "DELE\u0001F", "", "DELE\u0001f", "false"},
            {"DEL\u00df f", "DEL\u00df", "f", "DEL\u00df f", "false"},
            {"X-FOO", "X-FOO", "", "X-FOO", "false"},
        };
        for (String[] row : table) {
            FtpCommand c = FtpCommand.parse(row[0].getBytes(StandardCharsets.ISO_8859_1));
            assertThat(c.verb()).as(row[0]).isEqualTo(row[1]);
            assertThat(c.argument()).as(row[0]).isEqualTo(row[2]);
            assertThat(new String(c.wireBytes(), StandardCharsets.ISO_8859_1)).as(row[0]).isEqualTo(row[3] + "\r\n");
            assertThat(c.verbWellFormed()).as(row[0]).isEqualTo(Boolean.parseBoolean(row[4]));
        }
    }
}
