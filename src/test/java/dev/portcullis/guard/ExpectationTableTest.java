package dev.portcullis.guard;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ExpectationTableTest {

    private final AtomicLong now = new AtomicLong(1_000);
    private final ExpectationTable table = new ExpectationTable(now::get);
    private static final long TTL = TimeUnit.SECONDS.toNanos(30);

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void oneShotForTheExpectedPeer() throws Exception {
        table.expect("s1", ip("198.51.100.10"), 50000, TTL);
        assertThat(table.claim(50000, ip("198.51.100.10"))).isPresent();
        assertThat(table.claim(50000, ip("198.51.100.10"))).isEmpty();
        assertThat(table.size()).isZero();
    }

    @Test
    void aThiefDoesNotConsumeTheExpectation() throws Exception {
        table.expect("s1", ip("198.51.100.10"), 50000, TTL);
        assertThat(table.claim(50000, ip("203.0.113.66"))).isEmpty();
        assertThat(table.claim(50001, ip("198.51.100.10"))).isEmpty();
        assertThat(table.claim(50000, ip("198.51.100.10"))).get().extracting(DataExpectation::sessionId).isEqualTo("s1");
    }

    @Test
    void aClaimRefusedAfterwardsIsArmedAgainWithinItsLifetimeOnly() throws Exception {
        DataExpectation e = table.expect("s1", ip("198.51.100.10"), 50000, TTL);
        assertThat(table.claim(50000, ip("198.51.100.10"))).isPresent(); // a thief from the client's address
        assertThat(table.rearm(e)).isTrue();
        assertThat(table.rearm(e)).as("already armed").isFalse();
        assertThat(table.claim(50000, ip("198.51.100.10"))).get().isEqualTo(e); // the client itself
        now.addAndGet(TTL);
        assertThat(table.rearm(e)).as("expired meanwhile").isFalse();
        assertThat(table.size()).isZero();
    }

    @Test
    void expiresAfterItsTtl() throws Exception {
        DataExpectation e = table.expect("s1", ip("198.51.100.10"), 50000, TTL);
        now.addAndGet(TTL - 1);
        assertThat(e.isExpired(now.get())).isFalse();
        now.addAndGet(1);
        assertThat(table.claim(50000, ip("198.51.100.10"))).isEmpty();
        assertThat(table.cancel(e)).isTrue(); // still there until its owner cancels it
        assertThat(table.cancel(e)).isFalse();
    }

    @Test
    void matchesIpv4MappedPeers() throws Exception {
        table.expect("s1", ip("127.0.0.1"), 50000, TTL);
        assertThat(table.claim(50000, ip("::ffff:127.0.0.1"))).isPresent();
    }
}
