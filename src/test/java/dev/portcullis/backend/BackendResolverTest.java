package dev.portcullis.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackendResolverTest {

    @Test
    void anAddressLiteralIsReturnedAtOnceWithNoTimer() {
        EmbeddedChannel ch = new EmbeddedChannel();
        try (BackendResolver resolver = new BackendResolver()) {
            InetSocketAddress literal = new InetSocketAddress("127.0.0.1", 21);
            Future<InetSocketAddress> f = resolver.resolve(ch.eventLoop(), literal, Duration.ofSeconds(30));
            assertThat(f.isSuccess()).isTrue();
            assertThat(f.getNow()).isSameAs(literal);
            assertThat(ch.runScheduledPendingTasks()).isEqualTo(-1);
        }
    }

    @Test
    void aNameAnsweredInTimeLeavesNoDeadlineOnTheLoop() throws InterruptedException {
        EmbeddedChannel ch = new EmbeddedChannel();
        try (BackendResolver resolver = new BackendResolver()) {
            Future<InetSocketAddress> f = resolver.resolve(ch.eventLoop(), InetSocketAddress.createUnresolved("localhost", 21),
                    Duration.ofSeconds(30));
            for (int i = 0; i < 500 && !f.isDone(); i++) {
                Thread.sleep(10); // the lookup runs on the resolver's own thread
                ch.runPendingTasks();
            }
            ch.runPendingTasks();
            assertThat(f.isSuccess()).isTrue();
            assertThat(f.getNow().getAddress().isLoopbackAddress()).isTrue();
            // The 30 s deadline was cancelled with the answer, not left to wait on the loop.
            assertThat(ch.runScheduledPendingTasks()).isEqualTo(-1);
        }
    }
}
