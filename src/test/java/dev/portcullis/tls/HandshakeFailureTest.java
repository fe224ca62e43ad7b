package dev.portcullis.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.cert.CertificateException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

class HandshakeFailureTest {

    @Test
    void theCertificateChecksOwnReasonIsAdded() {
        SSLHandshakeException e = new SSLHandshakeException("General OpenSslEngine problem");
        e.initCause(new RuntimeException("wrapped", new CertificateException("No subject alternative names matching IP address 203.0.113.10 found")));
        assertThat(HandshakeFailure.describe(e))
                .isEqualTo("General OpenSslEngine problem: No subject alternative names matching IP address 203.0.113.10 found");
    }

    @Test
    void aPlainMessageStaysAsItIs() {
        assertThat(HandshakeFailure.describe(new SSLHandshakeException("handshake timed out"))).isEqualTo("handshake timed out");
        SSLHandshakeException same = new SSLHandshakeException("PKIX path building failed");
        same.initCause(new CertificateException("PKIX path building failed"));
        assertThat(HandshakeFailure.describe(same)).isEqualTo("PKIX path building failed");
    }
}
