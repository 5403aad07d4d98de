package io.github.qat4j.core.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RoundingTest {

    @Test
    void tiesGoToEven() {
        assertEquals(0, Rounding.round(0.5f));
        assertEquals(2, Rounding.round(1.5f));
        assertEquals(2, Rounding.round(2.5f));
        assertEquals(4, Rounding.round(3.5f));
        assertEquals(0, Rounding.round(-0.5f));
        assertEquals(-2, Rounding.round(-1.5f));
        assertEquals(-2, Rounding.round(-2.5f));
        assertEquals(2L, Rounding.round(2.5));
        assertEquals(-4L, Rounding.round(-3.5));
    }

    @Test
    void matchesBigDecimalHalfEvenOnRandomFloats() {
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < 100_000; i++) {
            // Halves and quarters make ties frequent; the rest are arbitrary floats.
            float v = i % 2 == 0 ? (r.nextInt(2001) - 1000) / 4f : (float) ((r.nextDouble() - 0.5) * 1e6);
            int expected = new BigDecimal(v).setScale(0, RoundingMode.HALF_EVEN).intValueExact();
            assertEquals(expected, Rounding.round(v), () -> "v = " + v);
        }
    }

    @Test
    void saturatesOutsideTheIntRange() {
        assertEquals(Integer.MAX_VALUE, Rounding.round(1e20f));
        assertEquals(Integer.MIN_VALUE, Rounding.round(-1e20f));
    }
}
