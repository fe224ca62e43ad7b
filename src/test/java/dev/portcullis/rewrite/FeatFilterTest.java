package dev.portcullis.rewrite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.ftp.FtpReply;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FeatFilterTest {

    private final FeatFilter filter = new FeatFilter(Set.of("AUTH", "PBSZ", "PROT", "LPSV"), List.of("EPSV"));

    @Test
    void removesFeaturesTheProxyDoesNotRelay() {
        FtpReply in = FtpReply.ofLines(211, List.of("211-Features:", " AUTH TLS", " EPSV", " PBSZ", " PROT", " MDTM", " UTF8", "211 End"));
        FtpReply out = filter.filter(in);
        assertThat(out.lines()).containsExactly("211-Features:", " EPSV", " MDTM", " UTF8", "211 End");
        assertThat(new String(out.raw())).isEqualTo("211-Features:\r\n EPSV\r\n MDTM\r\n UTF8\r\n211 End\r\n");
    }

    @Test
    void addsWhatTheProxyProvidesItself() {
        FtpReply in = FtpReply.ofLines(211, List.of("211-Extensions supported", " SIZE", "211 End"));
        assertThat(filter.filter(in).lines()).containsExactly("211-Extensions supported", " SIZE", " EPSV", "211 End");
    }

    @Test
    void answersWithWhatTheProxyProvidesWhenTheBackendRefusesFeat() {
        FtpReply out = filter.filter(FtpReply.of(530, "Access denied."));
        assertThat(out.code()).isEqualTo(211);
        assertThat(out.lines()).containsExactly("211-Features:", " EPSV", "211 End");
    }

    @Test
    void leavesOtherRepliesByteExact() {
        FtpReply in = FtpReply.ofLines(211, List.of("211-Features:", " MLST size*;modify*;", " EPSV", " REST STREAM", "211 End"));
        assertThat(filter.filter(in)).isSameAs(in);
        FtpReply ok = FtpReply.of(200, "odd but positive");
        assertThat(filter.filter(ok)).isSameAs(ok);
    }
}
