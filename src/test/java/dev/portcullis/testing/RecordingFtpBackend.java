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
 * transfer except {@code RETR big}, and announces its data address as 10.9.8.7 and a port of its
 * own, which a client must never see. {@code RETR big} sends {@link #BIG_SIZE} bytes on the next
 * data connection, from a thread of its own, so that STAT, NOOP and ABOR are answered while it
 * runs, as vsftpd with async_abor_enable does: STAT with 211, ABOR with the transfer's 426 and
 * then 226. With the default responder every EPSV/PASV gets a data listener of its own, as real
 * servers do, so a connection meant for an earlier setup can never be taken for the current one.
 * Loopback only, socket timeouts.
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
    private volatile ServerSocket data;
    /** Every data port announced so far (a client must see none of them). */
    private final java.util.Set<Integer> announcedPorts = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final List<byte[]> received = new CopyOnWriteArrayList<>();
    private volatile java.util.concurrent.BlockingQueue<Socket> dataConnections = new java.util.concurrent.LinkedBlockingQueue<>();

    /** What {@code RETR big} sends. */
    public static final int BIG_SIZE = 8 * 1024 * 1024;
    private volatile Responder responder = new EchoResponder();

    public RecordingFtpBackend() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        threads.submit(() -> acceptLoop(server, true, null));
        newDataListener();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** The data port of the current setup. */
    public int dataPort() {
        return data.getLocalPort();
    }

    public java.util.Set<Integer> announcedPorts() {
        return announcedPorts;
    }

    /** A fresh data listener for a new EPSV/PASV; the previous one and what it accepted are closed. */
    private synchronized void newDataListener() throws IOException {
        ServerSocket old = data;
        java.util.concurrent.BlockingQueue<Socket> oldQueue = dataConnections;
        ServerSocket fresh = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        java.util.concurrent.BlockingQueue<Socket> queue = new java.util.concurrent.LinkedBlockingQueue<>();
        announcedPorts.add(fresh.getLocalPort());
        data = fresh;
        dataConnections = queue;
        threads.submit(() -> acceptLoop(fresh, false, queue));
        if (old != null) {
            old.close();
            closeAll(oldQueue);
        }
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
                case "ABOR" -> lines("225 ABOR: no transfer to abort");
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

    private void acceptLoop(ServerSocket listener, boolean control, java.util.concurrent.BlockingQueue<Socket> queue) {
        while (!listener.isClosed()) {
            try {
                Socket s = listener.accept();
                if (control) {
                    threads.submit(() -> serve(s));
                } else {
                    queue.add(s); // for RETR big; the next EPSV/PASV closes what nothing took
                }
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        Transfer running = null;
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
                String text = new String(bytes, StandardCharsets.ISO_8859_1);
                String verb = text.split(" ", 2)[0].toUpperCase(java.util.Locale.ROOT);
                boolean echo = r instanceof EchoResponder;
                if (echo && text.equalsIgnoreCase("RETR big")) {
                    running = new Transfer(out);
                    write(out, lines("150 sending big"));
                    running.start();
                    continue;
                }
                if (echo && (verb.equals("EPSV") || verb.equals("PASV"))) {
                    newDataListener(); // a new data setup: older connections belong to none
                }
                if (echo && verb.equals("ABOR") && running != null && running.isAlive()) {
                    running.aborted = true;
                    running.join(10_000);
                    write(out, lines("226 ABOR done: " + printable(text)));
                    continue;
                }
                if (echo && verb.equals("STAT") && running != null && running.isAlive()) {
                    write(out, lines("211 transfer running: " + printable(text)));
                    continue;
                }
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
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (running != null) {
                running.aborted = true;
            }
        }
    }

    private static void closeAll(java.util.concurrent.BlockingQueue<Socket> queue) {
        Socket stale;
        while ((stale = queue.poll()) != null) {
            try {
                stale.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    /** RETR big: the data on the next data connection, then its final reply; ABOR stops it (426). */
    private final class Transfer extends Thread {
        private final OutputStream control;
        volatile boolean aborted;

        Transfer(OutputStream control) {
            this.control = control;
            setDaemon(true);
        }

        @Override
        public void run() {
            String result;
            try {
                Socket d = dataConnections.poll(10, java.util.concurrent.TimeUnit.SECONDS);
                if (d == null) {
                    result = "425 no data connection came";
                } else {
                    try (d) {
                        byte[] chunk = new byte[16 * 1024];
                        for (int sent = 0; sent < BIG_SIZE && !aborted; sent += chunk.length) {
                            d.getOutputStream().write(chunk);
                        }
                        result = aborted ? "426 transfer aborted" : "226 transfer complete";
                    } catch (IOException e) {
                        result = "426 transfer aborted: data connection closed";
                    }
                }
                write(control, lines(result));
            } catch (IOException | InterruptedException ignored) {
                // the session is gone
            }
        }
    }

    /** Whole replies only: the transfer thread and the command loop share the control connection. */
    private static void write(OutputStream out, byte[] bytes) throws IOException {
        if (bytes != null && bytes.length > 0) {
            synchronized (out) {
                out.write(bytes);
                out.flush();
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        data.close();
        closeAll(dataConnections);
        threads.shutdownNow();
    }
}
