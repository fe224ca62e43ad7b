package dev.portcullis.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.ftp.FtpReply;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Replies leave in command order, one final reply per command; STAT/NOOP may overtake a running transfer. */
class ReplySequencerTest {

    private final EmbeddedChannel client = new EmbeddedChannel();
    private final List<String> closedWith = new ArrayList<>();
    private ReplySlot runningTransfer;
    private int flushes;

    private final ReplySequencer replies = new ReplySequencer(client, new ReplySequencer.Session() {
        @Override
        public boolean isClosed() {
            return !closedWith.isEmpty();
        }

        @Override
        public ReplySlot runningTransferSlot() {
            return runningTransfer;
        }

        @Override
        public void closeAfterReply(String outcome) {
            closedWith.add(outcome);
        }

        @Override
        public void afterFlush() {
            flushes++;
        }
    });

    private String written() {
        return Outbound.text(client);
    }

    @Test
    void aLaterCommandsReplyWaitsForTheEarlierOne() {
        ReplySlot first = replies.newSlot();
        ReplySlot second = replies.newSlot();
        replies.reply(second, 200, "second");
        assertThat(written()).isEmpty();
        replies.reply(first, 200, "first");
        assertThat(written()).isEqualTo("200 first\r\n200 second\r\n");
        assertThat(replies.isEmpty()).isTrue();
        assertThat(flushes).isEqualTo(2);
    }

    @Test
    void preliminaryRepliesGoOutAtOnceAndTheSlotStaysOpen() {
        ReplySlot retr = replies.newSlot();
        replies.preliminary(retr, FtpReply.of(150, "Opening"));
        assertThat(written()).isEqualTo("150 Opening\r\n");
        assertThat(replies.isHead(retr)).isTrue();
        replies.complete(retr, FtpReply.of(226, "Done"));
        assertThat(written()).isEqualTo("226 Done\r\n");
        assertThat(replies.isEmpty()).isTrue();
    }

    @Test
    void statusQueriesOvertakeARunningTransferButNotItsPreliminaryReply() {
        ReplySlot retr = replies.newSlot();
        ReplySlot stat = replies.newSlot();
        assertThat(stat.overtaking).isTrue();
        replies.reply(stat, 211, "status");
        assertThat(written()).as("the transfer has not started: STAT waits").isEmpty();
        runningTransfer = retr;
        replies.preliminary(retr, FtpReply.of(150, "Opening"));
        assertThat(written()).isEqualTo("150 Opening\r\n211 status\r\n");
        replies.complete(retr, FtpReply.of(226, "Done"));
        assertThat(written()).isEqualTo("226 Done\r\n");
        assertThat(replies.isEmpty()).isTrue();
    }

    @Test
    void aSlotWithACloseOutcomeClosesTheSessionAfterItsReplyAndNothingFollows() {
        ReplySlot quit = replies.newSlot();
        ReplySlot after = replies.newSlot();
        quit.closeOutcome = "quit";
        replies.reply(after, 200, "never");
        replies.reply(quit, 221, "Goodbye.");
        assertThat(written()).isEqualTo("221 Goodbye.\r\n");
        assertThat(closedWith).containsExactly("quit");
        replies.reply(replies.newSlot(), 200, "late");
        assertThat(written()).as("a closed session writes nothing").isEmpty();
    }

    @Test
    void anUnansweredDataSetupIsPending() {
        ReplySlot pasv = replies.newSlot();
        pasv.dataSetup = true;
        assertThat(replies.dataSetupPending()).isTrue();
        replies.reply(pasv, 227, "Entering Passive Mode (127,0,0,1,117,48).");
        assertThat(replies.dataSetupPending()).isFalse();
    }
}
