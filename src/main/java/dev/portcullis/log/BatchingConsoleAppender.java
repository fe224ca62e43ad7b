package dev.portcullis.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.encoder.Encoder;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Log lines to standard error, written by one thread in batches: an event loop only puts the
 * event in a bounded queue and goes on. Unlike Logback's AsyncAppender the writer is not woken
 * per line (a futex wake, two context switches and a write per line, at four lines a session):
 * a line that finds the writer idle wakes it and is written at once; after each write the writer
 * waits {@code flushMillis} and writes what came meanwhile in one write, so under load it wakes at
 * most 1000 / flushMillis times a second, however many lines there are. A slow or stopped reader
 * (journald under load, a full pipe) stalls only the writer; lines that find the queue full are
 * dropped and counted in the next line written. What is queued at exit is written by a shutdown hook.
 */
public final class BatchingConsoleAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {

    private Encoder<ILoggingEvent> encoder;
    private int queueSize = 8192;
    private long flushMillis = 20;
    private ArrayBlockingQueue<ILoggingEvent> queue;
    private final AtomicLong dropped = new AtomicLong();
    private final OutputStream out;
    private final ByteArrayOutputStream batch = new ByteArrayOutputStream(64 * 1024);
    private Thread writer;
    private volatile boolean running;
    /** The writer is parked until a line comes. */
    private volatile boolean idle;

    public BatchingConsoleAppender() {
        this(new FileOutputStream(FileDescriptor.err));
    }

    /** Writing to {@code out} instead of standard error (tests). */
    BatchingConsoleAppender(OutputStream out) {
        this.out = out;
    }

    public void setEncoder(Encoder<ILoggingEvent> encoder) {
        this.encoder = encoder;
    }

    public void setQueueSize(int queueSize) {
        this.queueSize = queueSize;
    }

    public void setFlushMillis(long flushMillis) {
        this.flushMillis = flushMillis;
    }

    @Override
    public void start() {
        if (encoder == null) {
            addError("no encoder for appender " + name);
            return;
        }
        queue = new ArrayBlockingQueue<>(Math.max(16, queueSize));
        running = true;
        writer = new Thread(this::writeLoop, "log-writer");
        writer.setDaemon(true);
        writer.start();
        Runtime.getRuntime().addShutdownHook(new Thread(this::drain, "log-writer-exit"));
        super.start();
    }

    @Override
    public void stop() {
        if (!isStarted()) {
            return;
        }
        super.stop();
        running = false;
        LockSupport.unpark(writer);
        try {
            writer.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        drain();
    }

    @Override
    protected void append(ILoggingEvent event) {
        event.prepareForDeferredProcessing(); // the message and MDC as they are now, on the caller's thread
        if (!queue.offer(event)) {
            dropped.incrementAndGet();
        } else if (idle) {
            LockSupport.unpark(writer);
        }
    }

    private void writeLoop() {
        while (running) {
            if (drain()) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(flushMillis)); // lines gather meanwhile
            } else {
                idle = true; // set before looking: a line offered after the look sees it and unparks
                if (queue.isEmpty() && running) {
                    LockSupport.park();
                }
                idle = false;
            }
        }
    }

    /** Writes what is queued, in one write; true if there was anything. */
    private synchronized boolean drain() {
        long lost = dropped.getAndSet(0);
        if (lost > 0) {
            byte[] note = ("log queue full: " + lost + " line(s) dropped\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            batch.write(note, 0, note.length);
        }
        ILoggingEvent e;
        while ((e = queue.poll()) != null) {
            byte[] line = encoder.encode(e);
            batch.write(line, 0, line.length);
        }
        if (batch.size() == 0) {
            return false;
        }
        try {
            batch.writeTo(out);
            out.flush();
        } catch (IOException ex) {
            // standard error is gone: nothing is left to tell
        }
        batch.reset();
        return true;
    }
}
