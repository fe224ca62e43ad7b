package dev.portcullis.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.ftp.FtpCommand;
import dev.portcullis.ftp.FtpReply;
import dev.portcullis.metrics.MicrometerProxyMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The backend's replies go to the commands they answer, in order; deadlines end a silent backend. */
class BackendChannelTest {

    private final List<String> events = new ArrayList<>();
    private boolean transferRunning;
    private boolean dataMoving;

    private final BackendChannel.Session session = new BackendChannel.Session() {
        @Override
        public boolean isClosed() {
            return false;
        }

        @Override
        public boolean transferRunning() {
            return transferRunning;
        }

        @Override
        public boolean dataMoving() {
            return dataMoving;
        }

        @Override
        public void onReplyTimeout(String what, long millis) {
            events.add("timeout " + what + " " + millis);
        }

        @Override
        public void onUnsolicitedReply(FtpReply r) {
            events.add("unsolicited " + r.code());
        }

        @Override
        public void onBackendClosed() {
            events.add("closed");
        }

        @Override
        public void onBackendError(Throwable cause) {
            events.add("error");
        }
    };

    private final BackendChannel backend = new BackendChannel("s1", session,
            new MicrometerProxyMetrics(new SimpleMeterRegistry()), Duration.ofSeconds(5));
    private final EmbeddedChannel channel = new EmbeddedChannel(backend);

    private static FtpCommand command(String line) {
        return FtpCommand.of(line);
    }

    private String sent() {
        return Outbound.text(channel);
    }

    private void receive(int code, String text) {
        channel.writeInbound(FtpReply.of(code, text));
    }

    @Test
    void repliesGoToTheirCommandsInOrderAndPreliminaryOnesDoNotEndACommand() {
        List<String> got = new ArrayList<>();
        backend.forward(command("CWD /a"), 0, r -> got.add("cwd " + r.code()));
        backend.forward(command("RETR f"), 0, r -> got.add("retr " + r.code()));
        assertThat(sent()).isEqualTo("CWD /a\r\nRETR f\r\n");
        receive(250, "ok");
        receive(150, "opening");
        receive(226, "done");
        assertThat(got).containsExactly("cwd 250", "retr 150", "retr 226");
        receive(200, "late");
        assertThat(events).containsExactly("unsolicited 200");
    }

    @Test
    void aStatusReplyDuringATransferGoesToTheQueryNotTheTransfer() {
        List<String> got = new ArrayList<>();
        backend.forward(command("RETR f"), 0, r -> got.add("retr " + r.code()));
        receive(150, "opening");
        transferRunning = true;
        backend.forward(command("NOOP"), 0, r -> got.add("noop " + r.code()));
        receive(200, "NOOP ok");
        receive(226, "done");
        assertThat(got).containsExactly("retr 150", "noop 200", "retr 226");
    }

    @Test
    void withoutATransferAStatusReplyIsTheOldestCommandsReply() {
        List<String> got = new ArrayList<>();
        backend.send("TYPE I", r -> got.add("type " + r.code()));
        backend.forward(command("NOOP"), 0, r -> got.add("noop " + r.code()));
        receive(200, "Type set");
        receive(200, "NOOP ok");
        assertThat(got).containsExactly("type 200", "noop 200");
    }

    @Test
    void anUnansweredCommandTimesOutUnlessDataIsStillMoving() {
        backend.forward(command("RETR f"), 0, r -> { });
        dataMoving = true;
        channel.advanceTimeBy(5, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertThat(events).as("data still moving: the deadline is renewed").isEmpty();
        dataMoving = false;
        channel.advanceTimeBy(5, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertThat(events).containsExactly("timeout RETR 5000");
    }

    @Test
    void anAnsweredCommandLeavesNoDeadlineBehind() {
        backend.expect("greeting", r -> { });
        receive(220, "hello");
        channel.advanceTimeBy(10, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertThat(events).isEmpty();
    }

    @Test
    void aPasswordIsNeverNamedInATimeout() {
        backend.send(command("PASS secret"), r -> { });
        channel.advanceTimeBy(5, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertThat(events).containsExactly("timeout PASS 5000");
    }

    @Test
    void theChannelsEndReachesTheSession() {
        channel.close();
        assertThat(events).containsExactly("closed");
    }
}
