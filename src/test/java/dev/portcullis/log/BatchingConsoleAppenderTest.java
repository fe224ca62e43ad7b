package dev.portcullis.log;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchingConsoleAppenderTest {

    private static BatchingConsoleAppender appender(ByteArrayOutputStream out, int queueSize, long flushMillis) {
        LoggerContext ctx = new LoggerContext();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(ctx);
        encoder.setPattern("%msg%n");
        encoder.start();
        BatchingConsoleAppender a = new BatchingConsoleAppender(out);
        a.setContext(ctx);
        a.setEncoder(encoder);
        a.setQueueSize(queueSize);
        a.setFlushMillis(flushMillis);
        a.start();
        return a;
    }

    private static LoggingEvent event(String format, Object... args) {
        // The running context: an event needs its MDC adapter.
        LoggerContext ctx = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
        return new LoggingEvent("x", ctx.getLogger("portcullis"), Level.INFO, format, null, args);
    }

    @Test
    void everyLineArrivesInOrderFormattedWhenLogged() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BatchingConsoleAppender a = appender(out, 8192, 20);
        Object[] mutable = {"first"};
        a.doAppend(event("session {} connect", mutable));
        mutable[0] = "changed later"; // the line says what it said when it was logged
        for (int i = 0; i < 500; i++) {
            a.doAppend(event("line {}", i));
        }
        a.stop();
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSize(501);
        assertThat(lines.get(0)).isEqualTo("session first connect");
        assertThat(lines.get(500)).isEqualTo("line 499");
    }

    @Test
    void aFullQueueDropsLinesAndSaysHowMany() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BatchingConsoleAppender a = appender(out, 16, 60_000); // after its first write the writer waits: the queue fills
        for (int i = 0; i < 40; i++) {
            a.doAppend(event("line {}", i));
        }
        a.stop();
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        List<String> notes = lines.stream().filter(l -> l.startsWith("log queue full: ")).toList();
        assertThat(notes).hasSize(1);
        int dropped = Integer.parseInt(notes.get(0).replaceAll("\\D+", ""));
        List<String> kept = lines.stream().filter(l -> l.startsWith("line ")).toList();
        assertThat(dropped).isPositive();
        assertThat(kept.size() + dropped).isEqualTo(40);
        assertThat(kept.get(0)).isEqualTo("line 0"); // the oldest lines are kept, the newest dropped
        assertThat(kept.get(kept.size() - 1)).isEqualTo("line " + (kept.size() - 1));
    }

    @Test
    void aLineThatFindsTheWriterIdleIsWrittenAtOnce() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BatchingConsoleAppender a = appender(out, 64, 60_000);
        a.doAppend(event("first"));
        dev.portcullis.testing.ProxyHarness.awaitTrue(java.time.Duration.ofSeconds(5), () -> out.size() > 0);
        // the writer waits 60 s after a write, then finds nothing and goes idle: the wait is what batches
        a.stop();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("first\n");
    }
}
