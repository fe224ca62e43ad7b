package dev.portcullis.data.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TokenBucketTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    @Test
    void debtTurnsIntoAPauseOfTheRightLength() {
        TokenBucket b = new TokenBucket(1_000_000, now::get); // 1 MB/s, burst 50 KB
        assertThat(b.take(50_000)).isZero();
        assertThat(b.take(100_000)).isEqualTo(100_000_000L); // 100 KB in debt: 100 ms
        now.addAndGet(100_000_000L);
        assertThat(b.take(1)).isEqualTo(1_000L);
    }

    @Test
    void refillIsCappedAtTheBurst() {
        TokenBucket b = new TokenBucket(1_000_000, now::get);
        now.addAndGet(3_600_000_000_000L); // an hour idle: no overflow, no hoarding
        assertThat(b.take(50_000)).isZero();
        assertThat(b.take(1_000)).isEqualTo(1_000_000L);
    }

    @Test
    void longRunAverageIsTheRate() {
        TokenBucket b = new TokenBucket(2 * 1024 * 1024, now::get);
        long start = now.get();
        long moved = 0;
        for (int i = 0; i < 1000; i++) {
            moved += 65_536;
            now.addAndGet(b.take(65_536)); // a reader that pauses exactly as told
        }
        double seconds = (now.get() - start) / 1e9;
        assertThat(moved / seconds).isBetween(2 * 1024 * 1024 * 0.99, 2 * 1024 * 1024 * 1.03);
    }

    @Test
    void zeroIsNoLimitAndRateCanChange() {
        TokenBucket b = new TokenBucket(0, now::get);
        assertThat(b.take(1L << 40)).isZero();
        b.rate(1_000_000);
        assertThat(b.take(1_000_000)).isPositive();
    }
}
