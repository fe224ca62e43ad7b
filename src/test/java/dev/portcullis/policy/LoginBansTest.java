package dev.portcullis.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoginBansTest {

    @TempDir
    Path dir;

    private final AtomicLong now = new AtomicLong(1_000_000);

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void bansAfterNFailuresWithinTheWindowAndExpires() throws Exception {
        try (LoginBans bans = new LoginBans(3, Duration.ofMinutes(1), Duration.ofMinutes(10), Optional.empty(), now::get)) {
            InetAddress a = ip("198.51.100.7");
            assertThat(bans.recordFailure(a)).isFalse();
            now.addAndGet(61_000); // the first failure leaves the window
            assertThat(bans.recordFailure(a)).isFalse();
            assertThat(bans.recordFailure(a)).isFalse();
            assertThat(bans.isBanned(a)).isFalse();
            assertThat(bans.recordFailure(a)).isTrue();
            assertThat(bans.isBanned(a)).isTrue();
            assertThat(bans.isBanned(ip("::ffff:198.51.100.7"))).isTrue();
            assertThat(bans.isBanned(ip("198.51.100.8"))).isFalse();
            now.addAndGet(Duration.ofMinutes(10).toMillis());
            assertThat(bans.isBanned(a)).isFalse();
            assertThat(bans.active()).isEmpty();
        }
    }

    @Test
    void releaseAndPersistenceAcrossRestarts() throws Exception {
        Path file = dir.resolve("bans.json");
        InetAddress a = ip("203.0.113.9");
        try (LoginBans bans = new LoginBans(1, Duration.ofMinutes(1), Duration.ofHours(1), Optional.of(file), now::get)) {
            assertThat(bans.recordFailure(a)).isTrue();
            bans.flush();
        }
        try (LoginBans restarted = new LoginBans(1, Duration.ofMinutes(1), Duration.ofHours(1), Optional.of(file), now::get)) {
            assertThat(restarted.isBanned(a)).isTrue();
            assertThat(restarted.release(a)).isTrue();
            assertThat(restarted.release(a)).isFalse();
            restarted.flush();
        }
        try (LoginBans again = new LoginBans(1, Duration.ofMinutes(1), Duration.ofHours(1), Optional.of(file), now::get)) {
            assertThat(again.isBanned(a)).isFalse();
        }
    }

    @Test
    void zeroTurnsBanningOff() throws Exception {
        try (LoginBans bans = new LoginBans(0, Duration.ofMinutes(1), Duration.ofHours(1), Optional.empty(), now::get)) {
            for (int i = 0; i < 100; i++) {
                assertThat(bans.recordFailure(ip("198.51.100.1"))).isFalse();
            }
        }
    }
}
