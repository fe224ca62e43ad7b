package dev.portcullis.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A backend for the fuzzers: records every line the proxy sends it, byte-exact, and answers each
 * through a {@link Responder}. The default responder answers every line with exactly one reply
 * that echoes the line (so a client can tell which command a reply belongs to), never starts a
 * transfer, and announces its data address as 10.9.8.7 and a port of its own, which a client must
 * never see. A data listener accepts and closes whatever connects. Loopback only, socket timeouts.
 */
public final class RecordingFtpBackend implements AutoCloseable {

    /** Answers the proxy; {@link #CLOSE} closes the connection, {@code null} sends nothing. */
    public interface Responder {
        byte[] greeting();

        byte[] answer(byte[] line);
    }

    public static final byte[] CLOSE = new byte[0];

    /** The data address the backend announces (227 with 10,9,8,7 / 229 with its data port): never for the client's eyes. */
    public static final String ANNOUNCED_HOST = "10,9,8,7";

    private final ServerSocket server;
    private final ServerSocket data;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final List<byte[]> received = new CopyOnWriteArrayList<>();
    private volatile Responder responder = new EchoResponder();

    public RecordingFtpBackend() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        data = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        threads.submit(() -> acceptLoop(server, true));
        threads.submit(() -> acceptLoop(data, false));
    }

    public int port() {
        return server.getLocalPort();
    }

    public int dataPort() {
        return data.getLocalPort();
    }

    public RecordingFtpBackend responder(Responder r) {
        this.responder = r;
        return this;
    }

    /** Every line received on every connection, without its CR LF. */
    public List<byte[]> received() {
        return received;
    }

    /** The default answers: one reply per line, the line echoed in the text of generic replies. */
    public final class EchoResponder implements Responder {
        @Override
        public byte[] greeting() {
            return lines("220 recording backend ready");
        }

        @Override
        public byte[] answer(byte[] line) {
            String text = new String(line, StandardCharsets.ISO_8859_1);
            String verb = text.split(" ", 2)[0].toUpperCase(java.util.Locale.ROOT);
            int p = dataPort();
            return switch (verb) {
                case "USER" -> lines("331 password please");
                case "PASS" -> lines("230 logged in");
                case "EPSV" -> lines("229 Entering Extended Passive Mode (|||" + p + "|)");
                case "PASV" -> lines("227 Entering Passive Mode (" + ANNOUNCED_HOST + "," + (p >> 8) + "," + (p & 0xff) + ")");
                case "RETR", "STOR", "STOU", "APPE", "LIST", "NLST", "MLSD" -> lines("550 nothing here: " + printable(text));
                case "ABOR" -> lines("225 no transfer to abort");
                case "QUIT" -> lines("221 bye");
                case "FEAT" -> lines("211-Features:", " UTF8", "211 End");
                default -> lines("200 ok: " + printable(text));
            };
        }
    }

    /** Lines joined with CR LF, each terminated. */
    public static byte[] lines(String... lines) {
        StringBuilder b = new StringBuilder();
        for (String l : lines) {
            b.append(l).append("\r\n");
        }
        return b.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The echo without bytes a reply line must not carry (CR, LF). */
    private static String printable(String s) {
        return s.replace('\r', '?').replace('\n', '?');
    }

    private void acceptLoop(ServerSocket listener, boolean control) {
        while (!listener.isClosed()) {
            try {
                Socket s = listener.accept();
                if (control) {
                    threads.submit(() -> serve(s));
                } else {
                    s.close(); // a data connection: nothing is ever transferred
                }
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            s.setSoTimeout(30_000);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            Responder r = responder;
            write(out, r.greeting());
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) != -1) {
                if (b != '\n') {
                    line.write(b);
                    continue;
                }
                byte[] bytes = line.toByteArray();
                line.reset();
                if (bytes.length > 0 && bytes[bytes.length - 1] == '\r') {
                    bytes = java.util.Arrays.copyOf(bytes, bytes.length - 1);
                }
                received.add(bytes);
                byte[] answer = r.answer(bytes);
                if (answer == CLOSE) {
                    return;
                }
                write(out, answer);
                if (answer != null && new String(answer, StandardCharsets.ISO_8859_1).startsWith("221 ")) {
                    return;
                }
            }
        } catch (IOException ignored) {
            // the proxy closed its side
        }
    }

    private static void write(OutputStream out, byte[] bytes) throws IOException {
        if (bytes != null && bytes.length > 0) {
            out.write(bytes);
            out.flush();
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        data.close();
        threads.shutdownNow();
    }
}
