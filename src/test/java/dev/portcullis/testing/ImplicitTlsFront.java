package dev.portcullis.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * An implicit-FTPS control endpoint for the in-JVM test backend: TLS from the first byte, ended
 * here, the plain control connection passed on to an Apache FtpServer listener (which still does
 * PBSZ/PROT and TLS on its data connections). Apache FtpServer's own implicit mode is not used: its
 * MINA SslFilter forwards handshake and application records from two threads and sometimes sends
 * them out of order (the proxy then fails the handshake with UNEXPECTED_RECORD). A blocking JDK
 * socket finishes its handshake before the first byte of the greeting is written.
 */
public final class ImplicitTlsFront implements AutoCloseable {

    private final SSLServerSocket server;
    private final Thread acceptor;

    /** @param pkcs12 the server's certificate and key, password "changeit" */
    public ImplicitTlsFront(Path pkcs12, int plainPort) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(pkcs12)) {
            ks.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), null, null);
        server = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        server.setEnabledProtocols(new String[] {"TLSv1.2"}); // as the FtpServer listener's data connections
        acceptor = new Thread(() -> accept(plainPort), "implicit-tls-front");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    private void accept(int plainPort) {
        while (!server.isClosed()) {
            try {
                SSLSocket client = (SSLSocket) server.accept();
                Thread t = new Thread(() -> serve(client, plainPort), "implicit-tls-session");
                t.setDaemon(true);
                t.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private static void serve(SSLSocket client, int plainPort) {
        try (client; Socket plain = new Socket()) {
            client.startHandshake(); // fails for a client that does not trust the certificate: nothing more is sent
            plain.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), plainPort), 5000);
            Thread up = new Thread(() -> pump(client, plain), "implicit-tls-up");
            up.setDaemon(true);
            up.start();
            pump(plain, client);
            up.join(5000);
        } catch (IOException | InterruptedException e) {
            // the proxy went away or refused the certificate: the session ends
        }
    }

    /** Copies until end of stream, then closes both sides (FTP control has no half-close to keep). */
    private static void pump(Socket from, Socket to) {
        byte[] buf = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // a reset or a close from the other pump
        } finally {
            try {
                from.close();
                to.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
