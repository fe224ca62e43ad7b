package dev.portcullis.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** The four ways a client sets up a data connection, driven through {@link FtpTestClient}. */
public enum DataMode {
    PASV, EPSV, PORT, EPRT;

    /** A prepared data connection; {@link #open()} after the transfer command was sent. */
    public interface Prepared extends AutoCloseable {
        Socket open() throws IOException;

        @Override
        void close() throws IOException;
    }

    public boolean passive() {
        return this == PASV || this == EPSV;
    }

    public Prepared prepare(FtpTestClient c) throws IOException {
        switch (this) {
            case PASV, EPSV -> {
                InetSocketAddress target = this == PASV ? c.pasv() : c.epsv();
                return new Prepared() {
                    Socket s;

                    @Override
                    public Socket open() throws IOException {
                        s = new Socket();
                        s.setSoTimeout(15_000);
                        s.connect(target, 5_000);
                        return s;
                    }

                    @Override
                    public void close() throws IOException {
                        if (s != null) {
                            s.close();
                        }
                    }
                };
            }
            default -> {
                ServerSocket ss = c.activeListener();
                String cmd = this == PORT ? "PORT " + FtpTestClient.portArgument(ss) : "EPRT " + FtpTestClient.eprtArgument(ss);
                FtpTestClient.Reply r = c.command(cmd);
                assertThat(r.code()).as(r.all()).isEqualTo(200);
                return new Prepared() {
                    Socket s;

                    @Override
                    public Socket open() throws IOException {
                        s = ss.accept();
                        s.setSoTimeout(15_000);
                        return s;
                    }

                    @Override
                    public void close() throws IOException {
                        if (s != null) {
                            s.close();
                        }
                        ss.close();
                    }
                };
            }
        }
    }

    /** Runs a download command (RETR, LIST, ...) and returns the bytes; asserts 150 then 226. */
    public byte[] download(FtpTestClient c, String command) throws IOException {
        try (Prepared p = prepare(c)) {
            c.send(command);
            // Passive: connect at once, as real clients do (vsftpd sends 150 only after the connection).
            Socket early = passive() ? p.open() : null;
            FtpTestClient.Reply first = c.readReply();
            assertThat(first.code()).as(command + ": " + first.all()).isIn(125, 150);
            byte[] data;
            try (Socket s = early != null ? early : p.open()) {
                data = s.getInputStream().readAllBytes();
            }
            FtpTestClient.Reply done = c.readReply();
            assertThat(done.code()).as(command + ": " + done.all()).isIn(226, 250);
            return data;
        }
    }

    /** Runs an upload command (STOR, APPE, STOU) with the given bytes; returns the final reply. */
    public FtpTestClient.Reply upload(FtpTestClient c, String command, byte[] content) throws IOException {
        try (Prepared p = prepare(c)) {
            c.send(command);
            Socket early = passive() ? p.open() : null;
            FtpTestClient.Reply first = c.readReply();
            assertThat(first.code()).as(command + ": " + first.all()).isIn(125, 150);
            try (Socket s = early != null ? early : p.open()) {
                s.getOutputStream().write(content);
                s.getOutputStream().flush();
            }
            return c.readReply();
        }
    }
}
