package dev.portcullis.bench;

import dev.portcullis.control.FtpCommandDecoder;
import dev.portcullis.control.FtpReplyDecoder;
import dev.portcullis.ftp.ExtendedHostPort;
import dev.portcullis.ftp.FtpCommand;
import dev.portcullis.ftp.HostPort;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Micro-benchmarks of the control codec and the rewriters: ns/op, and with
 * {@code -prof gc} bytes allocated per op. Run with {@code bash benchmarks/jmh.sh}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CodecBenchmark {

    private EmbeddedChannel commands;
    private EmbeddedChannel replies;
    private byte[] commandBytes;
    private byte[] replyBytes;
    private Inet4Address address;

    @Setup
    public void setup() throws Exception {
        commands = new EmbeddedChannel(new FtpCommandDecoder(4096));
        replies = new EmbeddedChannel(new FtpReplyDecoder(8192, 1000));
        commandBytes = "RETR /pub/some/directory/with/a/reasonably/long/file-name.tar.gz\r\n".getBytes(StandardCharsets.US_ASCII);
        replyBytes = "211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n MLST type*;size*;modify*;\r\n REST STREAM\r\n SIZE\r\n UTF8\r\n211 End\r\n"
                .getBytes(StandardCharsets.US_ASCII);
        address = (Inet4Address) InetAddress.getByName("203.0.113.7");
    }

    @Benchmark
    public Object decodeCommand() {
        commands.writeInbound(Unpooled.wrappedBuffer(commandBytes));
        return commands.readInbound();
    }

    @Benchmark
    public Object decodeMultiLineReply() {
        replies.writeInbound(Unpooled.wrappedBuffer(replyBytes));
        return replies.readInbound();
    }

    @Benchmark
    public void parsePortAndFormat227(Blackhole bh) {
        bh.consume(HostPort.parsePortArgument("192,0,2,10,195,80"));
        bh.consume(HostPort.passiveReplyText(address, 50123));
    }

    @Benchmark
    public void parseEprtAndFormat229(Blackhole bh) {
        bh.consume(ExtendedHostPort.parseEprtArgument("|1|192.0.2.10|50000|"));
        bh.consume(ExtendedHostPort.extendedPassiveReplyText(50123));
    }

    @Benchmark
    public Object forwardUnchanged() {
        // What every relayed command costs besides I/O: parse, then the wire form.
        FtpCommand c = FtpCommand.parse(commandBytes);
        ByteBuf out = Unpooled.wrappedBuffer(c.wireBytes());
        out.release();
        return c;
    }
}
