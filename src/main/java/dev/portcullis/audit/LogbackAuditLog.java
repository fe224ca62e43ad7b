package dev.portcullis.audit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy;
import ch.qos.logback.core.util.FileSize;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.config.AuditConfig;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the xferlog and the JSON-lines event log through Logback rolling files (size and daily
 * rotation, compressed, retention by count and total size), each on its own logger so that the
 * application log stays separate.
 */
public final class LogbackAuditLog implements AuditLog {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Logger xferlog;
    private final Logger events;
    private final ZoneId zone = ZoneId.systemDefault();

    public LogbackAuditLog(AuditConfig config, String instance) {
        this.xferlog = config.xferlog().map(p -> logger("portcullis.audit.xferlog." + instance, p, config)).orElse(null);
        this.events = config.events().map(p -> logger("portcullis.audit.events." + instance, p, config)).orElse(null);
    }

    private static Logger logger(String name, Path file, AuditConfig config) {
        LoggerContext lc = (LoggerContext) LoggerFactory.getILoggerFactory();
        RollingFileAppender<ILoggingEvent> appender = new RollingFileAppender<>();
        appender.setContext(lc);
        appender.setName(name);
        appender.setFile(file.toString());
        SizeAndTimeBasedRollingPolicy<ILoggingEvent> rolling = new SizeAndTimeBasedRollingPolicy<>();
        rolling.setContext(lc);
        rolling.setParent(appender);
        rolling.setFileNamePattern(file + ".%d{yyyy-MM-dd}.%i.gz");
        rolling.setMaxFileSize(FileSize.valueOf(config.maxFileSize()));
        rolling.setMaxHistory(config.maxHistory());
        rolling.setTotalSizeCap(FileSize.valueOf(config.totalSizeCap()));
        rolling.start();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(lc);
        encoder.setPattern("%msg%n");
        encoder.start();
        appender.setRollingPolicy(rolling);
        appender.setEncoder(encoder);
        appender.setImmediateFlush(true);
        appender.start();
        ch.qos.logback.classic.Logger logger = lc.getLogger(name);
        logger.setAdditive(false);
        logger.setLevel(Level.INFO);
        logger.detachAndStopAllAppenders();
        logger.addAppender(appender);
        return logger;
    }

    @Override
    public void event(AuditEvent e) {
        if (events == null) {
            return;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("time", e.time().toString());
        m.put("event", e.type());
        m.put("session", e.session());
        m.put("client", e.client());
        m.putAll(new java.util.TreeMap<>(e.fields()));
        write(m);
    }

    @Override
    public void transfer(TransferRecord t) {
        if (xferlog != null && !t.direction().equals("listing")) {
            xferlog.info(XferlogFormat.format(t, zone));
        }
        if (events != null) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("time", t.end().toString());
            m.put("event", "transfer");
            m.put("session", t.session());
            m.put("client", t.client());
            m.put("user", t.user());
            m.put("command", t.verb());
            m.put("path", t.path());
            m.put("bytes", t.bytes());
            m.put("seconds", t.millis() / 1000.0);
            m.put("direction", t.direction());
            m.put("mode", t.mode());
            m.put("tls", t.tls());
            m.put("complete", t.complete());
            m.put("reply", t.replyCode());
            write(m);
        }
    }

    private void write(Map<String, Object> m) {
        try {
            events.info(JSON.writeValueAsString(m));
        } catch (JsonProcessingException e) {
            LoggerFactory.getLogger("portcullis").warn("audit event not written: {}", e.getMessage());
        }
    }
}
