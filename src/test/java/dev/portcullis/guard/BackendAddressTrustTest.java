package dev.portcullis.guard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.config.DataPolicy.BackendPasvAddress;
import dev.portcullis.ftp.FtpReply;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class BackendAddressTrustTest {

    private static final InetAddress CONTROL_PEER = address("203.0.113.10");

    private static InetAddress address(String a) {
        try {
            return InetAddress.getByName(a);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void byDefaultTheAnnouncedAddressIsIgnored() {
        InetSocketAddress announced = new InetSocketAddress(address("192.0.2.99"), 40000);
        assertThat(BackendAddressTrust.dataHost(BackendPasvAddress.CONTROL, announced, CONTROL_PEER)).isEqualTo(CONTROL_PEER);
    }

    @Test
    void announcedIsTrustedWhenConfiguredButNeverTheWildcard() {
        InetSocketAddress announced = new InetSocketAddress(address("192.0.2.99"), 40000);
        assertThat(BackendAddressTrust.dataHost(BackendPasvAddress.ANNOUNCED, announced, CONTROL_PEER)).isEqualTo(address("192.0.2.99"));
        InetSocketAddress wildcard = new InetSocketAddress(address("0.0.0.0"), 40000);
        assertThat(BackendAddressTrust.dataHost(BackendPasvAddress.ANNOUNCED, wildcard, CONTROL_PEER)).isEqualTo(CONTROL_PEER);
    }

    @Test
    void passiveRepliesOutOfTurnLeakTheBackendsAddress() {
        assertThat(PassiveReplyLeak.isPassiveCode(FtpReply.of(227, "Entering Passive Mode (10,0,0,5,156,64).").code())).isTrue();
        assertThat(PassiveReplyLeak.isPassiveCode(FtpReply.of(229, "Entering Extended Passive Mode (|||40000|)").code())).isTrue();
        assertThat(PassiveReplyLeak.carriesPassiveLine(FtpReply.ofLines(211, java.util.List.of("211-Status", "227 Entering Passive Mode (10,0,0,5,156,64)", "211 End")))).isTrue();
        assertThat(PassiveReplyLeak.carriesPassiveLine(FtpReply.ofLines(220, java.util.List.of("220-welcome", "229-Entering Extended Passive Mode (|||40000|)", "220 ready")))).isTrue();
        assertThat(PassiveReplyLeak.carriesPassiveLine(FtpReply.ofLines(211, java.util.List.of("211-Status", " 227 files", "2270 x", "211 End")))).isFalse();
        assertThat(PassiveReplyLeak.isPassiveCode(228)).isTrue();
        assertThat(PassiveReplyLeak.isPassiveCode(FtpReply.of(200, "ok").code())).isFalse();
    }
}
