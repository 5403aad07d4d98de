package io.github.qat4j.core.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The fixed-point requantization against exact BigInteger/BigDecimal definitions. */
class RequantizationTest {

    private static final int[] EDGES = {
        Integer.MIN_VALUE,
        Integer.MIN_VALUE + 1,
        -(1 << 30) - 1,
        -(1 << 30),
        -65536,
        -3,
        -2,
        -1,
        0,
        1,
        2,
        3,
        65535,
        (1 << 30) - 1,
        1 << 30,
        Integer.MAX_VALUE - 1,
        Integer.MAX_VALUE
    };

    private static final BigInteger INT_MIN = BigInteger.valueOf(Integer.MIN_VALUE);
    private static final BigInteger INT_MAX = BigInteger.valueOf(Integer.MAX_VALUE);

    private static int saturate(BigInteger v) {
        return v.max(INT_MIN).min(INT_MAX).intValueExact();
    }

    /** x * m * 2^(shift - 31) rounded to nearest, ties to even (BigDecimal's HALF_EVEN), saturated. */
    private static int referenceMultiply(int x, int multiplier, int shift) {
        BigDecimal exact = new BigDecimal(BigInteger.valueOf(x).multiply(BigInteger.valueOf(multiplier)))
                .multiply(pow2(shift - 31));
        return saturate(exact.setScale(0, RoundingMode.HALF_EVEN).toBigIntegerExact());
    }

    /** 2^k exactly, for any sign of k. */
    private static BigDecimal pow2(int k) {
        BigDecimal p = new BigDecimal(BigInteger.ONE.shiftLeft(Math.abs(k)));
        return k >= 0 ? p : BigDecimal.ONE.divide(p);
    }

    private static int randomInt(SplittableRandom r) {
        // Mix full-range values with small ones, where rounding ties are common.
        return switch (r.nextInt(3)) {
            case 0 -> r.nextInt();
            case 1 -> r.nextInt(-1000, 1000);
            default -> EDGES[r.nextInt(EDGES.length)];
        };
    }

    @Test
    void multiplyByQuantizedMultiplierMatchesExactArithmetic() {
        SplittableRandom r = new SplittableRandom(5);
        int[] multipliers = {1 << 30, (1 << 30) + 1, Integer.MAX_VALUE - 1, Integer.MAX_VALUE, 0};
        for (int shift = -31; shift <= 30; shift++) {
            for (int m : multipliers) {
                for (int x : EDGES) {
                    assertEquals(
                            referenceMultiply(x, m, shift),
                            Requantization.multiplyByQuantizedMultiplier(x, m, shift),
                            x + " * " + m + " shift " + shift);
                }
            }
            for (int i = 0; i < 3_000; i++) {
                int x = randomInt(r);
                int m = r.nextInt(1 << 30, Integer.MAX_VALUE) + r.nextInt(2);
                assertEquals(
                        referenceMultiply(x, m, shift),
                        Requantization.multiplyByQuantizedMultiplier(x, m, shift),
                        x + " * " + m + " shift " + shift);
            }
        }
    }

    /** sum * m * 2^(shift - 31) / count rounded to nearest, ties to even, saturated. */
    private static int referenceAverage(long sum, int count, int multiplier, int shift) {
        BigDecimal exact = new BigDecimal(BigInteger.valueOf(sum).multiply(BigInteger.valueOf(multiplier)))
                .multiply(pow2(shift - 31))
                .divide(BigDecimal.valueOf(count), new MathContext(200));
        return saturate(exact.setScale(0, RoundingMode.HALF_EVEN).toBigIntegerExact());
    }

    @Test
    void averageByQuantizedMultiplierMatchesExactArithmetic() {
        SplittableRandom r = new SplittableRandom(9);
        int[] counts = {1, 2, 3, 4, 7, 9, 16, 49, 64, 100, 1 << 22, 1 << 23};
        for (int shift = -31; shift <= 30; shift++) {
            for (int i = 0; i < 2_000; i++) {
                int count = r.nextBoolean() ? counts[r.nextInt(counts.length)] : r.nextInt(1, 1 << 23);
                // sums of q - z for q, z in [0, 255]: within +-255 count, below 2^31
                long sum = r.nextInt(4) == 0
                        ? (long) r.nextInt(-3, 4) * count / 2
                        : r.nextLong(-255L * count, 255L * count + 1);
                int m = r.nextInt(4) == 0 ? 1 << 30 : r.nextInt(1 << 30, Integer.MAX_VALUE) + r.nextInt(2);
                assertEquals(
                        referenceAverage(sum, count, m, shift),
                        Requantization.averageByQuantizedMultiplier(sum, count, m, shift),
                        sum + " * " + m + " shift " + shift + " / " + count);
            }
        }
    }

    @Test
    void averageOfOneIsTheMultiplyAndTiesGoToEven() {
        SplittableRandom r = new SplittableRandom(10);
        for (int i = 0; i < 10_000; i++) {
            int x = r.nextInt(-(1 << 20), 1 << 20);
            int m = r.nextInt(1 << 30, Integer.MAX_VALUE);
            int shift = r.nextInt(-31, 31);
            assertEquals(
                    Requantization.multiplyByQuantizedMultiplier(x, m, shift),
                    Requantization.averageByQuantizedMultiplier(x, 1, m, shift));
        }
        // multiplier 1 (2^30, shift 1): 10 / 4 = 2.5 -> 2, 14 / 4 = 3.5 -> 4, -10 / 4 -> -2, 9 / 4 = 2.25 -> 2,
        // 21 / 6 = 3.5 -> 4
        assertEquals(2, Requantization.averageByQuantizedMultiplier(10, 4, 1 << 30, 1));
        assertEquals(4, Requantization.averageByQuantizedMultiplier(14, 4, 1 << 30, 1));
        assertEquals(-2, Requantization.averageByQuantizedMultiplier(-10, 4, 1 << 30, 1));
        assertEquals(2, Requantization.averageByQuantizedMultiplier(9, 4, 1 << 30, 1));
        assertEquals(4, Requantization.averageByQuantizedMultiplier(21, 6, 1 << 30, 1));
    }

    @Test
    void exactHalvesRoundToEven() {
        // 2^30 is one half at shift 0: x / 2 for odd x is a tie
        assertEquals(2, Requantization.multiplyByQuantizedMultiplier(5, 1 << 30, 0));
        assertEquals(4, Requantization.multiplyByQuantizedMultiplier(7, 1 << 30, 0));
        assertEquals(-2, Requantization.multiplyByQuantizedMultiplier(-5, 1 << 30, 0));
        assertEquals(-4, Requantization.multiplyByQuantizedMultiplier(-7, 1 << 30, 0));
        assertEquals(0, Requantization.multiplyByQuantizedMultiplier(-1, 1 << 30, 0));
        // 639 * 0.0023456 = 1.4988: gemmlowp's high multiply kept 8 bits below the output's last one,
        // made it 1.5 and its rounding shift 2; one rounding gives 1 (0.24% of 0..19999 differ so)
        QuantizedMultiplier m = QuantizedMultiplier.of(0.0023456);
        assertEquals(-8, m.shift());
        assertEquals(1, Requantization.multiplyByQuantizedMultiplier(639, m.multiplier(), m.shift()));
        assertEquals(-1, Requantization.multiplyByQuantizedMultiplier(-639, m.multiplier(), m.shift()));
    }

    @Test
    void quantizedMultiplierMatchesTfLiteDecomposition() {
        SplittableRandom r = new SplittableRandom(6);
        for (int i = 0; i < 50_000; i++) {
            double real = Math.pow(2, r.nextDouble(-30, 20)) * r.nextDouble(0.5, 1.0);
            QuantizedMultiplier q = QuantizedMultiplier.of(real);
            // Independent decomposition: real in [2^(shift-1), 2^shift), mantissa = real * 2^(31 - shift).
            BigDecimal exact = new BigDecimal(real);
            int shift = 0;
            while (exact.compareTo(pow2(shift)) >= 0) {
                shift++;
            }
            while (exact.compareTo(pow2(shift - 1)) < 0) {
                shift--;
            }
            long mantissa = exact.multiply(pow2(31 - shift))
                    .setScale(0, RoundingMode.HALF_UP)
                    .longValueExact();
            if (mantissa == 1L << 31) {
                mantissa /= 2;
                shift++;
            }
            assertEquals(new QuantizedMultiplier((int) mantissa, shift), q, "real " + real);
            assertTrue(q.multiplier() >= 1 << 30);
            assertEquals(real, q.toDouble(), real * 0x1p-30);
        }
    }

    @Test
    void quantizedMultiplierEdgeCases() {
        assertEquals(new QuantizedMultiplier(0, 0), QuantizedMultiplier.of(0));
        assertEquals(new QuantizedMultiplier(1 << 30, 0), QuantizedMultiplier.of(0.5));
        assertEquals(new QuantizedMultiplier(1 << 30, 1), QuantizedMultiplier.of(1.0));
        // Rounds up to 2^31: halved, shift incremented.
        assertEquals(new QuantizedMultiplier(1 << 30, 1), QuantizedMultiplier.of(1.0 - 0x1p-40));
        assertEquals(new QuantizedMultiplier(Integer.MAX_VALUE, 0), QuantizedMultiplier.of(1.0 - 0x1p-31 - 0x1p-33));
        // Smaller than 2^-32: every bit would be shifted out.
        assertEquals(new QuantizedMultiplier(0, 0), QuantizedMultiplier.of(0x1p-33));
        assertEquals(new QuantizedMultiplier(1 << 30, -31), QuantizedMultiplier.of(0x1p-32));
        assertEquals(new QuantizedMultiplier(0, 0), QuantizedMultiplier.of(Double.MIN_VALUE));
        assertEquals(new QuantizedMultiplier(Integer.MAX_VALUE, 30), QuantizedMultiplier.of(0x1p40));
        for (double bad : new double[] {-1e-9, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThrows(IllegalArgumentException.class, () -> QuantizedMultiplier.of(bad), "real " + bad);
        }
        assertThrows(IllegalArgumentException.class, () -> new QuantizedMultiplier(12345, -3));
        assertThrows(IllegalArgumentException.class, () -> new QuantizedMultiplier(1 << 30, 31));
        assertThrows(IllegalArgumentException.class, () -> new QuantizedMultiplier(1 << 30, -32));
    }

    @Test
    void multiplyingByTheQuantizedMultiplierRoundsTheRealProductWithinOne() {
        SplittableRandom r = new SplittableRandom(8);
        for (int i = 0; i < 200_000; i++) {
            double m = r.nextDouble();
            if (m == 0) {
                continue;
            }
            int x = i % 2 == 0 ? r.nextInt() : r.nextInt(-100_000, 100_000);
            QuantizedMultiplier q = QuantizedMultiplier.of(m);
            int y = Requantization.multiplyByQuantizedMultiplier(x, q.multiplier(), q.shift());
            double expected = Math.rint(x * m);
            assertTrue(Math.abs(y - expected) <= 1, x + " * " + m + " = " + y + ", expected " + expected);
        }
    }

    @Test
    void biasToInt32RoundsHalfToEvenAndSaturates() {
        assertEquals(2, Requantization.biasToInt32(2.5f, 1f, 1f));
        assertEquals(4, Requantization.biasToInt32(3.5f, 1f, 1f));
        assertEquals(-2, Requantization.biasToInt32(-2.5f, 1f, 1f));
        // 0.1 / (0.02 * 0.5) computed in double from the float inputs.
        assertEquals(Math.rint(0.1f / ((double) 0.02f * 0.5f)), Requantization.biasToInt32(0.1f, 0.02f, 0.5f));
        assertEquals(Integer.MAX_VALUE, Requantization.biasToInt32(1e6f, 1e-4f, 1e-4f));
        assertEquals(Integer.MIN_VALUE, Requantization.biasToInt32(-1e6f, 1e-4f, 1e-4f));
        assertThrows(IllegalArgumentException.class, () -> Requantization.biasToInt32(Float.NaN, 1f, 1f));
        assertThrows(IllegalArgumentException.class, () -> Requantization.biasToInt32(1f, 0f, 1f));
        assertThrows(IllegalArgumentException.class, () -> Requantization.biasToInt32(1f, 1f, -1f));
    }
}
