package dev.portcullis.tls;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import javax.net.ssl.X509TrustManager;

/** Trusts exactly one backend certificate, pinned by its SHA-256 fingerprint. */
final class FingerprintTrustManager implements X509TrustManager {

    private final String expectedHex;

    FingerprintTrustManager(String expectedHex) {
        this.expectedHex = expectedHex;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("the backend sent no certificate");
        }
        String actual = fingerprint(chain[0]);
        if (!actual.equals(expectedHex)) {
            throw new CertificateException("backend certificate fingerprint " + actual + " is not the pinned " + expectedHex);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("not used for client certificates");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }

    static String fingerprint(X509Certificate cert) throws CertificateEncodingException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
