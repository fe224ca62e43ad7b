package dev.portcullis.log;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class RateLimitedLogTest {

    @Test
    void aFloodWritesOneLineAndTheNextSaysHowManyWereLeftOut() {
        Logger logger = (Logger) LoggerFactory.getLogger("rate-limited-log-test");
        logger.setLevel(Level.INFO);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        long[] now = {1_000};
        RateLimitedLog limited = new RateLimitedLog(Duration.ofSeconds(10), () -> now[0]);
        for (int i = 0; i < 10_000; i++) {
            limited.info(logger, "refused {}", i);
            now[0] += 1_000; // 10 ms of flood in all
        }
        assertThat(appender.list).hasSize(1);
        assertThat(appender.list.get(0).getFormattedMessage()).isEqualTo("refused 0");
        now[0] += Duration.ofSeconds(10).toNanos();
        limited.info(logger, "refused {}", -1);
        assertThat(appender.list).hasSize(2);
        assertThat(appender.list.get(1).getFormattedMessage()).isEqualTo("refused -1 (9999 more like this left out of the log)");
    }
}
