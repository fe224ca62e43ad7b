package dev.portcullis.data.setup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PassivePortPoolTest {

    @Test
    void handsOutEveryPortOnceThenNothing() {
        PassivePortPool pool = new PassivePortPool(50000, 50009);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            OptionalInt p = pool.acquire();
            assertThat(p).isPresent();
            assertThat(p.getAsInt()).isBetween(50000, 50009);
            assertThat(seen.add(p.getAsInt())).isTrue();
        }
        assertThat(pool.acquire()).isEmpty();
        assertThat(pool.available()).isZero();
        pool.release(50003);
        assertThat(pool.acquire()).hasValue(50003);
    }

    @Test
    void refusesDoubleRelease() {
        PassivePortPool pool = new PassivePortPool(50000, 50001);
        int p = pool.acquire().getAsInt();
        pool.release(p);
        assertThatThrownBy(() -> pool.release(p)).isInstanceOf(IllegalStateException.class);
        assertThat(pool.available()).isEqualTo(2);
    }
}
