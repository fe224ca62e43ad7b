package dev.portcullis;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.portcullis.config.ProxyConfig;
import dev.portcullis.config.TlsConfig;
import dev.portcullis.testing.ProxyHarness;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class StartLogTest {

    @Test
    void aListenerOverrideThatLoosensTlsIsLoggedAsLoosened() throws Exception {
        InetSocketAddress legacy = new InetSocketAddress("127.0.0.1", 2122);
        ProxyConfig c = ProxyHarness.baseConfig(21).withTls(new TlsConfig(Optional.of(Path.of("c.pem")), Optional.of(Path.of("k.pem")),
                Optional.empty(), TlsConfig.Policy.REQUIRED, TlsConfig.DataProtection.PRIVATE_REQUIRED, false, List.of(),
                TlsConfig.DEFAULT_CIPHERS, TlsConfig.Provider.AUTO, Duration.ofSeconds(10),
                List.of(new TlsConfig.ListenerPolicy(legacy, TlsConfig.Policy.OPTIONAL, TlsConfig.DataProtection.ANY))));
        Logger logger = (Logger) LoggerFactory.getLogger("portcullis");
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            StartLog.loosenedSecurity(c);
        } finally {
            logger.detachAppender(appender);
        }
        assertThat(appender.list).extracting(ILoggingEvent::getFormattedMessage)
                .anyMatch(m -> m.startsWith("SECURITY LOOSENED: tls.listeners[") && m.contains("policy is 'optional'"))
                .anyMatch(m -> m.startsWith("SECURITY LOOSENED: tls.listeners[") && m.contains("data-protection is 'any'"));
    }
}
