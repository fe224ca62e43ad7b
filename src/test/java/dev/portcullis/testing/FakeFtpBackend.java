package dev.portcullis.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A scripted FTP server for the misbehaviours real servers rarely show: replies out of turn,
 * refused EPSV, 227 replies with private or garbage addresses, sudden close. Only what the tests
 * use is implemented; everything runs on loopback with socket timeouts.
 */
public final class FakeFtpBackend implements AutoCloseable {

    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final Map<String, String> replies = new ConcurrentHashMap<>();
    private final List<String> received = new CopyOnWriteArrayList<>();
    private volatile String announcedPassiveHost = "10,9,8,7";
    private volatile boolean garbagePassiveReply;
    private volatile boolean answerDuringTransfer;
    private volatile boolean dieMidTransfer;
    private volatile long storFailsAfter = -1;
    private volatile long storedBytes;
    /** Bytes read so far by the STOR in progress (storedBytes is set only at its end). */
    private volatile long storReadSoFar;
    private volatile String storedSha256 = "";
    private volatile int lateBytesOnUpload;
    private volatile long lateBytesAfter;
    private volatile long storStopsReadingAfter = -1;
    private volatile long storReadRate;
    private volatile byte[] file = "fake file content\n".getBytes(StandardCharsets.US_ASCII);
    private volatile String greeting = "220 fake FTP server ready";

    public FakeFtpBackend() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        threads.submit(this::acceptLoop);
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Sets a fixed reply line for a verb (e.g. "EPSV" -> "500 EPSV not understood"); "CLOSE" closes the connection. */
    public FakeFtpBackend reply(String verb, String line) {
        replies.put(verb, line);
        return this;
    }

    /** The first reply on every connection, sent as given (CR LF added; may hold several lines). */
    public FakeFtpBackend greeting(String lines) {
        this.greeting = lines;
        return this;
    }

    public FakeFtpBackend announcePassiveHost(String commaSeparatedHost) {
        this.announcedPassiveHost = commaSeparatedHost;
        return this;
    }

    public FakeFtpBackend garbagePassiveReply() {
        this.garbagePassiveReply = true;
        return this;
    }

    /** During RETR, after half the file, reads one command and answers it with 213 before going on. */
    public FakeFtpBackend answerDuringTransfer() {
        this.answerDuringTransfer = true;
        return this;
    }

    /** During RETR, sends half the file and then resets both connections (the server crashed). */
    public FakeFtpBackend dieMidTransfer() {
        this.dieMidTransfer = true;
        return this;
    }

    public void dieMidTransferOff() {
        this.dieMidTransfer = false;
    }

    /** During STOR, gives up with 552 after this many bytes (disk full). */
    public FakeFtpBackend storFailsAfter(long bytes) {
        this.storFailsAfter = bytes;
        return this;
    }

    public long storedBytes() {
        return storedBytes;
    }

    public long storReadSoFar() {
        return storReadSoFar;
    }

    /**
     * During STOR, after this many bytes, ends its side of the data connection with a FIN, answers
     * 552 and reads no more (for three seconds, then closes): the upload is refused, not reset.
     */
    public FakeFtpBackend storStopsReadingAfter(long bytes) {
        this.storStopsReadingAfter = bytes;
        return this;
    }

    /** During STOR, reads at most this many bytes per second (a slow disk); 0: as fast as it can. */
    public FakeFtpBackend storReadRate(long bytesPerSecond) {
        this.storReadRate = bytesPerSecond;
        return this;
    }

    public String storedSha256() {
        return storedSha256;
    }

    /**
     * During STOR, once {@code afterReading} bytes have come, sends {@code bytes} bytes back on the
     * data connection (as a TLS server's session tickets may come late): a proxy that has closed
     * its side by then, or closes it with those bytes unread, answers with a reset, and the kernel
     * throws away the part of the upload it had not delivered yet.
     */
    public FakeFtpBackend lateBytesOnUpload(int bytes, long afterReading) {
        this.lateBytesOnUpload = bytes;
        this.lateBytesAfter = afterReading;
        return this;
    }

    public FakeFtpBackend file(byte[] content) {
        this.file = content;
        return this;
    }

    public List<String> received() {
        return received;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                threads.submit(() -> serve(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        ServerSocket data = null;
        try (s) {
            s.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
            OutputStream out = s.getOutputStream();
            write(out, greeting);
            String line;
            while ((line = in.readLine()) != null) {
                received.add(line);
                String verb = line.split(" ", 2)[0].toUpperCase();
                String fixed = replies.get(verb);
                if ("CLOSE".equals(fixed)) {
                    return;
                }
                if ("STALL".equals(fixed)) {
                    continue; // never answer this command
                }
                if (fixed != null) {
                    write(out, fixed);
                    continue;
                }
                switch (verb) {
                    case "PROXY" -> { } // a PROXY protocol v1 header from the proxy: recorded, never answered
                    case "USER" -> write(out, "331 password please");
                    case "PASS" -> write(out, "230 logged in");
                    case "TYPE" -> write(out, "200 type set");
                    case "EPSV" -> write(out, "500 EPSV not understood");
                    case "PASV" -> {
                        if (data != null) {
                            data.close();
                        }
                        data = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
                        data.setSoTimeout(15_000);
                        int p = data.getLocalPort();
                        write(out, garbagePassiveReply ? "227 Entering Passive Mode (no numbers here)"
                                : "227 Entering Passive Mode (" + announcedPassiveHost + "," + (p >> 8) + "," + (p & 0xff) + ").");
                    }
                    case "RETR" -> {
                        if (data == null) {
                            write(out, "425 use PASV first");
                            continue;
                        }
                        write(out, "150 opening data connection");
                        try (Socket d = data.accept()) {
                            if (dieMidTransfer) {
                                // The server process dies half-way: data and control vanish, no reply.
                                d.getOutputStream().write(file, 0, file.length / 2);
                                d.getOutputStream().flush();
                                d.setSoLinger(true, 0);
                                s.setSoLinger(true, 0);
                                return;
                            }
                            if (answerDuringTransfer) {
                                // Like servers that answer STAT while a transfer runs (RFC 959 4.1.3).
                                d.getOutputStream().write(file, 0, file.length / 2);
                                d.getOutputStream().flush();
                                String query = in.readLine();
                                received.add(query);
                                write(out, "213 transfer in progress: " + file.length / 2 + " bytes sent");
                                d.getOutputStream().write(file, file.length / 2, file.length - file.length / 2);
                            } else {
                                d.getOutputStream().write(file);
                            }
                        }
                        data.close();
                        data = null;
                        write(out, "226 transfer complete");
                    }
                    case "STOR" -> {
                        if (data == null) {
                            write(out, "425 use PASV first");
                            continue;
                        }
                        write(out, "150 ok to send data");
                        java.security.MessageDigest sha = sha256();
                        boolean readFailed = false;
                        boolean answered = false;
                        try (Socket d = data.accept()) {
                            boolean lateSent = lateBytesOnUpload == 0;
                            byte[] buf = new byte[storReadRate > 0 ? 16 * 1024 : 64 * 1024];
                            long got = 0;
                            long started = System.nanoTime();
                            int n;
                            while ((n = readOrFail(d, buf)) > 0) {
                                got += n;
                                storReadSoFar = got;
                                sha.update(buf, 0, n);
                                if (storReadRate > 0) {
                                    long due = started + got * 1_000_000_000L / storReadRate;
                                    long wait = due - System.nanoTime();
                                    if (wait > 0) {
                                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                                    }
                                }
                                if (!lateSent && got >= lateBytesAfter) {
                                    lateSent = true;
                                    Thread.sleep(200); // the client has finished; the proxy has the rest in flight
                                    d.getOutputStream().write(new byte[lateBytesOnUpload]);
                                    d.getOutputStream().flush();
                                }
                                if (storStopsReadingAfter >= 0 && got >= storStopsReadingAfter) {
                                    d.shutdownOutput();
                                    write(out, "552 Requested file action aborted: exceeded storage allocation");
                                    answered = true;
                                    Thread.sleep(3000);
                                    break;
                                }
                                if (storFailsAfter >= 0 && got >= storFailsAfter) {
                                    // Disk full half-way through: the server gives up on the upload.
                                    d.setSoLinger(true, 0);
                                    break;
                                }
                            }
                            storedBytes = got;
                            readFailed = n < 0 && n != -1;
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                        storedSha256 = java.util.HexFormat.of().formatHex(sha.digest());
                        data.close();
                        data = null;
                        // Like vsftpd: a data connection that ends in an error is not a stored file.
                        if (!answered) write(out, storFailsAfter >= 0 ? "552 Requested file action aborted: exceeded storage allocation"
                                : readFailed ? "426 Failure reading network stream." : "226 stored");
                    }
                    case "QUIT" -> {
                        write(out, "221 bye");
                        return;
                    }
                    default -> write(out, "200 ok");
                }
            }
        } catch (IOException ignored) {
            // the test closed its side; nothing to do
        } finally {
            if (data != null) {
                try {
                    data.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }
    }

    /** Bytes read, -1 at a clean end of stream, -2 when the connection failed (reset). */
    private static int readOrFail(Socket d, byte[] buf) {
        try {
            return d.getInputStream().read(buf);
        } catch (IOException e) {
            return -2;
        }
    }

    private static java.security.MessageDigest sha256() {
        try {
            return java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void write(OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    public InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", port());
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }
}
