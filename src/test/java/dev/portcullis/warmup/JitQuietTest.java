package dev.portcullis.warmup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JitQuietTest {

    @ParameterizedTest(name = "{0} ms of compiling in {1} ns of CPU: quiet at 3 % = {2}")
    @CsvSource({
        // the harness's rule: at most 3 % of the JVM's CPU over the window
        "0,     10000000000, true",
        "300,   10000000000, true",   // exactly 3 %
        "301,   10000000000, false",
        "2000,  10000000000, false",  // a JIT still compiling the session path
        "5,     0,           false",  // no CPU in the window: nothing ran, nothing learnt
        "0,     0,           false",
        "20000, 10000000000, false",  // compile time above the CPU (several compiler threads): share 1
    })
    void quietWhenTheJitTookAtMostItsShare(long compileMillis, long cpuNanos, boolean quiet) {
        assertThat(new JitQuiet(0.03).quiet(compileMillis, cpuNanos)).isEqualTo(quiet);
    }

    @ParameterizedTest
    @CsvSource({"300, 10000000000, 0.03", "20000, 10000000000, 1.0", "7, 0, 0.0", "0, 5, 0.0"})
    void shareOfTheJvmsCpu(long compileMillis, long cpuNanos, double share) {
        assertThat(JitQuiet.share(compileMillis, cpuNanos)).isCloseTo(share, org.assertj.core.data.Offset.offset(1e-9));
    }

    @ParameterizedTest
    @CsvSource({"0", "1", "-0.1", "1.5", "NaN"})
    void refusesAShareOutsideZeroToOne(double share) {
        assertThatThrownBy(() -> new JitQuiet(share)).isInstanceOf(IllegalArgumentException.class);
    }
}
