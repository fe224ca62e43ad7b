package dev.portcullis.data.splice;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PipeBudgetTest {

    private static final int MIB = 1 << 20;

    @Test
    void handsOutGrownPipesOnlyWhileTheyFit() {
        PipeBudget b = new PipeBudget(MIB, 2L * MIB + 10);
        int first = b.reserve();
        int second = b.reserve();
        assertThat(first).isEqualTo(MIB);
        assertThat(second).isEqualTo(MIB);
        assertThat(b.reserve()).as("a third would pass the budget").isZero();
        assertThat(b.settle(first, MIB)).isEqualTo(MIB);
        assertThat(b.settle(second, -1)).as("refused by the kernel: the room goes back").isZero();
        assertThat(b.bytesInUse()).isEqualTo(MIB);
        assertThat(b.pipesGrown()).isEqualTo(1);
        assertThat(b.reserve()).isEqualTo(MIB);
        b.release(MIB);
        assertThat(b.bytesInUse()).isEqualTo(MIB);
    }

    @Test
    void theKernelMayRoundTheSizeUp() {
        PipeBudget b = new PipeBudget(600 * 1024, 4L * MIB);
        int r = b.reserve();
        assertThat(b.settle(r, MIB)).isEqualTo(MIB);
        assertThat(b.bytesInUse()).isEqualTo(MIB);
        b.release(MIB);
        assertThat(b.bytesInUse()).isZero();
    }

    @Test
    void theDefaultSizeOrLessMeansNoGrowth() {
        PipeBudget b = new PipeBudget(PipeBudget.KERNEL_DEFAULT, 64L * MIB);
        assertThat(b.reserve()).isZero();
        b.configure(0, 64L * MIB);
        assertThat(b.reserve()).isZero();
        b.configure(MIB, 64L * MIB);
        assertThat(b.reserve()).as("a reload turns it on for new pipes").isEqualTo(MIB);
    }
}
