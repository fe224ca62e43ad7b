package dev.portcullis.warmup;

import dev.portcullis.ftp.ExtendedHostPort;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The traffic of a training run: workers that each open FTP sessions through the proxy one after
 * another, each the commonest session there is (monitoring probes, sync clients, ftplib's and
 * curl's listings): anonymous login, TYPE A, EPSV, LIST, QUIT. Plain blocking sockets on loopback;
 * every reply code is checked, so a training that does not run the session path fails instead of
 * training an error path. Only this shape: on loopback a cache trained on sessions that also
 * alternated PASV and EPSV and downloaded 64 KiB made fresh instances no faster on listing
 * sessions than no cache (README, "Warm-up and the JDK 25 AOT cache").
 */
final class TrainingSessions implements AutoCloseable {

    private static final int TIMEOUT_MILLIS = 10_000;

    private final InetSocketAddress proxy;
    private final Thread[] workers;
    private final AtomicLong sessions = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicReference<String> lastFailure = new AtomicReference<>();
    private volatile boolean running = true;

    TrainingSessions(InetSocketAddress proxy, int workerCount) {
        this.proxy = proxy;
        this.workers = new Thread[workerCount];
        for (int i = 0; i < workerCount; i++) {
            int worker = i;
            workers[i] = new Thread(() -> work(worker), "training-" + i);
            workers[i].setDaemon(true);
        }
    }

    TrainingSessions start() {
        for (Thread t : workers) {
            t.start();
        }
        return this;
    }

    long sessions() {
        return sessions.get();
    }

    long failures() {
        return failures.get();
    }

    /** The reason of the latest failed session, or null. */
    String lastFailure() {
        return lastFailure.get();
    }

    private void work(int worker) {
        while (running) {
            try {
                session();
                sessions.incrementAndGet();
            } catch (IOException | RuntimeException e) {
                if (!running) {
                    return;
                }
                failures.incrementAndGet();
                lastFailure.set(e.toString());
                pause();
            }
        }
    }

    /** One session: login, then a listing over an EPSV data connection, then QUIT. */
    private void session() throws IOException {
        try (Socket control = new Socket()) {
            control.connect(proxy, TIMEOUT_MILLIS);
            control.setSoTimeout(TIMEOUT_MILLIS);
            control.setTcpNoDelay(true);
            BufferedReader in = new BufferedReader(new InputStreamReader(control.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = control.getOutputStream();
            expect(in, 220);
            command(out, in, "USER anonymous", 331);
            command(out, in, "PASS training@portcullis", 230);
            command(out, in, "TYPE A", 200);
            if (list(out, in) == 0) {
                throw new IOException("LIST: an empty listing of the demo backend's root");
            }
            command(out, in, "QUIT", 221);
        }
    }

    /** EPSV, then LIST; reads its data connection to the end; returns the bytes read. */
    private long list(OutputStream out, BufferedReader in) throws IOException {
        String reply = command(out, in, "EPSV", 229);
        OptionalInt port = ExtendedHostPort.parseExtendedPassiveReply(reply);
        if (port.isEmpty()) {
            throw new IOException("unreadable 229: " + reply);
        }
        long total = 0;
        try (Socket data = new Socket()) {
            data.connect(new InetSocketAddress(proxy.getAddress(), port.getAsInt()), TIMEOUT_MILLIS);
            data.setSoTimeout(TIMEOUT_MILLIS);
            send(out, "LIST");
            int mark = code(in);
            if (mark != 150 && mark != 125) {
                throw new IOException("LIST: " + mark + " instead of 150");
            }
            InputStream d = data.getInputStream();
            byte[] buf = new byte[16 * 1024];
            for (int r; (r = d.read(buf)) >= 0; ) {
                total += r;
            }
        }
        expect(in, 226);
        return total;
    }

    private static String command(OutputStream out, BufferedReader in, String line, int expected) throws IOException {
        send(out, line);
        return expect(in, expected);
    }

    private static void send(OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static String expect(BufferedReader in, int expected) throws IOException {
        String last = reply(in);
        int code = Integer.parseInt(last.substring(0, 3));
        if (code != expected) {
            throw new IOException("expected " + expected + ", got: " + last);
        }
        return last;
    }

    private static int code(BufferedReader in) throws IOException {
        return Integer.parseInt(reply(in).substring(0, 3));
    }

    /** The last line of a reply, multi-line ones (RFC 959 4.2: "ddd-" up to "ddd ") read to their end. */
    private static String reply(BufferedReader in) throws IOException {
        String line = in.readLine();
        if (line == null || line.length() < 3) {
            throw new IOException("the proxy closed the control connection or sent no reply code: " + line);
        }
        if (line.length() > 3 && line.charAt(3) == '-') {
            String end = line.substring(0, 3) + " ";
            do {
                line = in.readLine();
                if (line == null) {
                    throw new IOException("the proxy closed the control connection inside a multi-line reply");
                }
            } while (!line.startsWith(end));
        }
        return line;
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        for (Thread t : workers) {
            t.join(TIMEOUT_MILLIS * 2L);
        }
    }
}
