package dev.portcullis.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.fuzz.ServerReadings.Reading;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The fuzzers' model of how servers read a relayed line: it must find the spellings of issue 28. */
class ServerReadingsTest {

    private static byte[] latin1(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void findsTheVerbEveryServerWouldRead() {
        Object[][] table = {
            {"DELE\tf", new Reading("DELE", "F"), false},
            {" DELE f", new Reading("DELE", "F"), false},
            {"DE\u00ff\u00f4LE f", new Reading("DELE", "F"), false}, // ProFTPD: 0xFF eats the next byte
            {"DE\u00ffLE f", new Reading("DELE", "F"), false},
            {"SITE\tCHMOD 777 f", new Reading("SITE", "CHMOD"), false},
            {"SITE  CHMOD 777 f", new Reading("SITE", "CHMOD"), true},
            {"X\rDELE f", new Reading("X", ""), false},
            {"USER\u000banonymous", new Reading("USER", "ANONYMOUS"), false},
            {"NOOP", new Reading("NOOP", ""), true},
        };
        for (Object[] row : table) {
            byte[] line = latin1((String) row[0]);
            assertThat(ServerReadings.of(line)).as((String) row[0]).contains((Reading) row[1]);
            assertThat(ServerReadings.canonical(line)).as((String) row[0]).isEqualTo(row[2]);
        }
    }
}
