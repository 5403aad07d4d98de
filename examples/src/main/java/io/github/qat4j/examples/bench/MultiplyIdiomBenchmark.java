package io.github.qat4j.examples.bench;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The int8 multiply idioms open to Java, each doing {@code 2 * n} multiply-accumulates of int8-range
 * values per call, one core. GMAC/s = 2 n / (nanoseconds per op).
 *
 * <ul>
 *   <li>{@code pairwiseArrays}: HotSpot C2's MulAddS2I form, {@code c[i] += a[2i] b[2i] + a[2i+1]
 *       b[2i+1]} over {@code short} arrays, which C2 vectorizes as MulAddVS2VI ({@code vpmaddwd},
 *       {@code vpdpwssd} on AVX-512 VNNI);
 *   <li>{@code pairwiseBroadcast}: the same with the second operand a loop-invariant pair, the form
 *       a convolution tile needs (one weight pair times many pixels);
 *   <li>{@code vectorApiDot}: the runtime's Vector API idiom, bytes widened to int lanes (B2I), a
 *       32-bit multiply and add into four register accumulators.
 * </ul>
 *
 * <p>To see which instructions C2 emitted without hsdis: {@code -XX:+UnlockDiagnosticVMOptions
 * -XX:+PrintAssembly} prints the code bytes ("abstract disassembly"); {@code objdump -D -b binary
 * -mi386:x86-64} on those bytes shows whether {@code vpdpwssd} or {@code vpmaddwd} is there.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class MultiplyIdiomBenchmark {

    private static final VectorSpecies<Integer> INT = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> BYTE =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(INT.length() * Byte.SIZE));

    /** Output ints per call: 256 is one convolution tile's row of pixels, 4096 streams from L1/L2. */
    @Param({"256", "4096"})
    public int n;

    private short[] a;
    private short[] b;
    private int[] c;
    private byte[] x;
    private byte[] y;

    @Setup(Level.Trial)
    public void setUp() {
        Random rnd = new Random(3);
        a = new short[2 * n];
        b = new short[2 * n];
        x = new byte[2 * n];
        y = new byte[2 * n];
        c = new int[n];
        for (int i = 0; i < 2 * n; i++) {
            x[i] = (byte) (rnd.nextInt(256) - 128);
            y[i] = (byte) (rnd.nextInt(255) - 127);
            a[i] = x[i];
            b[i] = y[i];
        }
    }

    @Benchmark
    public int[] pairwiseArrays() {
        short[] a = this.a;
        short[] b = this.b;
        int[] c = this.c;
        for (int i = 0; i < c.length; i++) {
            c[i] += a[2 * i] * b[2 * i] + a[2 * i + 1] * b[2 * i + 1];
        }
        return c;
    }

    @Benchmark
    public int[] pairwiseBroadcast() {
        short[] a = this.a;
        int[] c = this.c;
        short w0 = b[0];
        short w1 = b[1];
        for (int i = 0; i < c.length; i++) {
            c[i] += a[2 * i] * w0 + a[2 * i + 1] * w1;
        }
        return c;
    }

    /** Written out by hand: a helper returning vectors, not inlined, makes C2 box them (see PanamaInt8Kernels). */
    @Benchmark
    public int vectorApiDot() {
        byte[] x = this.x;
        byte[] y = this.y;
        IntVector s0 = IntVector.zero(INT);
        IntVector s1 = IntVector.zero(INT);
        IntVector s2 = IntVector.zero(INT);
        IntVector s3 = IntVector.zero(INT);
        int lanes = INT.length();
        for (int i = 0; i + 4 * lanes <= x.length; i += 4 * lanes) {
            s0 = s0.add(((IntVector) ByteVector.fromArray(BYTE, x, i).convertShape(VectorOperators.B2I, INT, 0))
                    .mul((IntVector) ByteVector.fromArray(BYTE, y, i).convertShape(VectorOperators.B2I, INT, 0)));
            s1 = s1.add(((IntVector) ByteVector.fromArray(BYTE, x, i + lanes).convertShape(VectorOperators.B2I, INT, 0))
                    .mul((IntVector)
                            ByteVector.fromArray(BYTE, y, i + lanes).convertShape(VectorOperators.B2I, INT, 0)));
            s2 = s2.add(((IntVector)
                            ByteVector.fromArray(BYTE, x, i + 2 * lanes).convertShape(VectorOperators.B2I, INT, 0))
                    .mul((IntVector)
                            ByteVector.fromArray(BYTE, y, i + 2 * lanes).convertShape(VectorOperators.B2I, INT, 0)));
            s3 = s3.add(((IntVector)
                            ByteVector.fromArray(BYTE, x, i + 3 * lanes).convertShape(VectorOperators.B2I, INT, 0))
                    .mul((IntVector)
                            ByteVector.fromArray(BYTE, y, i + 3 * lanes).convertShape(VectorOperators.B2I, INT, 0)));
        }
        return s0.add(s1).add(s2).add(s3).reduceLanes(VectorOperators.ADD);
    }
}
