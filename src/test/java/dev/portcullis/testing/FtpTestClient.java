package dev.portcullis.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.ftp.ExtendedHostPort;
import dev.portcullis.ftp.HostPort;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A deliberately plain FTP client over a raw socket, for tests that must see every reply byte and
 * control exactly what is sent. Every read has a timeout, so a proxy that hangs fails the test.
 */
public final class FtpTestClient implements Closeable {

    /** One reply: its code and all its lines as received. */
    public record Reply(int code, List<String> lines) {
        public String last() {
            return lines.get(lines.size() - 1);
        }

        public String all() {
            return String.join("\n", lines);
        }
    }

    private Socket socket;
    private InputStream in;
    private OutputStream out;

    private FtpTestClient(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(15_000);
        socket.setTcpNoDelay(true);
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** A client over an already connected socket (e.g. one bound to a chosen local address). */
    public static FtpTestClient wrap(Socket connected) throws IOException {
        return new FtpTestClient(connected);
    }

    public static FtpTestClient connect(InetSocketAddress proxy) throws IOException {
        Socket s = new Socket();
        s.connect(proxy, 5_000);
        return new FtpTestClient(s);
    }

    /** Connects from a given local address (127.0.0.2 and so on: another client address on loopback). */
    public static FtpTestClient connectFrom(String localAddress, InetSocketAddress proxy) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(localAddress, 0));
        s.connect(proxy, 5_000);
        return new FtpTestClient(s);
    }

    /** Connects, reads the greeting and logs in. */
    public static FtpTestClient login(InetSocketAddress proxy, String user, String password) throws IOException {
        FtpTestClient c = connect(proxy);
        assertThat(c.readReply().code()).isEqualTo(220);
        Reply r = c.command("USER " + user);
        if (r.code() == 230) {
            return c; // e.g. vsftpd's anonymous login without a password
        }
        assertThat(r.code()).isEqualTo(331);
        assertThat(c.command("PASS " + password).code()).isEqualTo(230);
        return c;
    }

    public Socket socket() {
        return socket;
    }

    /** AUTH TLS, then the handshake over this control connection (TLS session cached under host:port). */
    public javax.net.ssl.SSLSocket startTls(javax.net.ssl.SSLSocketFactory factory) throws IOException {
        Reply r = command("AUTH TLS");
        if (r.code() != 234) {
            throw new IOException("AUTH TLS refused: " + r.all());
        }
        javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) factory.createSocket(socket, "localhost", socket.getPort(), true);
        tls.startHandshake();
        socket = tls;
        in = tls.getInputStream();
        out = tls.getOutputStream();
        return tls;
    }

    public void send(String line) throws IOException {
        sendRaw((line + "\r\n").getBytes(StandardCharsets.UTF_8));
    }

    public void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    public Reply command(String line) throws IOException {
        send(line);
        return readReply();
    }

    /** Reads one complete reply (multi-line aware); fails on EOF. */
    public Reply readReply() throws IOException {
        List<String> lines = new ArrayList<>();
        String first = readLine();
        if (first == null) {
            throw new IOException("connection closed before a reply");
        }
        lines.add(first);
        int code = Integer.parseInt(first.substring(0, 3));
        if (first.length() > 3 && first.charAt(3) == '-') {
            String end = first.substring(0, 3) + " ";
            while (true) {
                String l = readLine();
                if (l == null) {
                    throw new IOException("connection closed inside a multi-line reply");
                }
                lines.add(l);
                if (l.startsWith(end)) {
                    break;
                }
            }
        }
        return new Reply(code, lines);
    }

    /** A line without its CR LF, or null at EOF. */
    public String readLine() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                byte[] bytes = b.toByteArray();
                int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, n, StandardCharsets.UTF_8);
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.UTF_8);
    }

    /** True if the server closed the control connection (EOF) within the socket timeout. */
    public boolean isClosedByPeer() throws IOException {
        try {
            return in.read() == -1;
        } catch (java.net.SocketException e) {
            return true; // reset
        }
    }

    /** PASV: returns the announced data address. */
    public InetSocketAddress pasv() throws IOException {
        Reply r = command("PASV");
        assertThat(r.code()).as(r.all()).isEqualTo(227);
        return HostPort.parsePassiveReply(r.last()).orElseThrow();
    }

    /** EPSV: returns the announced port on the control connection's peer address. */
    public InetSocketAddress epsv() throws IOException {
        Reply r = command("EPSV");
        assertThat(r.code()).as(r.all()).isEqualTo(229);
        int port = ExtendedHostPort.parseExtendedPassiveReply(r.last()).orElseThrow();
        return new InetSocketAddress(socket.getInetAddress(), port);
    }

    /** Opens a local listener for active mode on this connection's local address. */
    public ServerSocket activeListener() throws IOException {
        ServerSocket ss = new ServerSocket();
        ss.bind(new InetSocketAddress(socket.getLocalAddress(), 0));
        ss.setSoTimeout(15_000);
        return ss;
    }

    public static String portArgument(ServerSocket ss) {
        return HostPort.format((java.net.Inet4Address) ss.getInetAddress(), ss.getLocalPort());
    }

    public static String eprtArgument(ServerSocket ss) {
        return ExtendedHostPort.formatEprt(new InetSocketAddress(ss.getInetAddress(), ss.getLocalPort()));
    }

    public InetAddress localAddress() {
        return socket.getLocalAddress();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
