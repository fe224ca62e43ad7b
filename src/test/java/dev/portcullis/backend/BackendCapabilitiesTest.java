package dev.portcullis.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackendCapabilitiesTest {

    @Test
    void aRefusalOfEpsvIsRememberedForAWhileNotForever() {
        long[] now = {5_000};
        BackendCapabilities c = new BackendCapabilities(() -> now[0], Duration.ofSeconds(60));
        assertThat(c.epsvRefused()).isFalse();
        c.markEpsvRefused();
        now[0] += Duration.ofSeconds(59).toNanos();
        assertThat(c.epsvRefused()).isTrue();
        now[0] += Duration.ofSeconds(2).toNanos();
        assertThat(c.epsvRefused()).as("expired: the next session tries EPSV again").isFalse();
        c.markEpsvRefused();
        assertThat(c.epsvRefused()).isTrue();
    }
}
