package io.github.qat4j.examples.bench;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
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
 * The GEMM of the int8 runtime at LeNet's dense layer (M=64 images, K=800, N=500), one core, next
 * to a float32 Vector API GEMM of the same shape and tile. GMAC/s = 25.6 / (microseconds per op) * 1000.
 *
 * <p>The kernels are package-private by design (callers see only Int8Model); this white-box
 * benchmark reaches them by reflection, once per call of a 25.6 M multiply-accumulate GEMM.
 *
 * <pre>java --add-modules jdk.incubator.vector -jar examples.jar GemmBenchmark -wi 3 -i 5 -f 1</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class GemmBenchmark {

    static final int M = 64;
    static final int K = 800;
    static final int N = 500;

    @Param({"PanamaInt8Kernels", "ScalarInt8Kernels"})
    public String kernels;

    private Object impl;
    private Method gemm;
    private Object packed;
    private byte[] a;
    private int[] bias;
    private int[] acc;

    private float[] fa;
    private float[] fw;
    private float[] fc;

    @Setup(Level.Trial)
    public void setUp() throws ReflectiveOperationException {
        Random rnd = new Random(1);
        a = new byte[M * K + 64];
        rnd.nextBytes(a);
        byte[] w = new byte[N * K];
        for (int i = 0; i < w.length; i++) {
            w[i] = (byte) (rnd.nextInt(255) - 127);
        }
        bias = new int[N];
        acc = new int[M * N];
        Class<?> cls = Class.forName("io.github.qat4j.core.runtime." + kernels);
        Constructor<?> ctor = cls.getDeclaredConstructor();
        ctor.setAccessible(true);
        impl = ctor.newInstance();
        Class<?> api = Class.forName("io.github.qat4j.core.runtime.Int8Kernels");
        Class<?> packedType = Class.forName("io.github.qat4j.core.runtime.PackedWeights");
        Method pack = api.getDeclaredMethod("packWeights", byte[].class, int.class, int.class);
        pack.setAccessible(true);
        packed = pack.invoke(impl, w, N, K);
        gemm = api.getDeclaredMethod(
                "gemm", byte[].class, int.class, int.class, packedType, int.class, int.class, int[].class, int[].class);
        gemm.setAccessible(true);

        fa = new float[M * K];
        fw = new float[N * K];
        fc = new float[M * N];
        for (int i = 0; i < fa.length; i++) {
            fa[i] = rnd.nextFloat();
        }
        for (int i = 0; i < fw.length; i++) {
            fw[i] = rnd.nextFloat();
        }
    }

    @Benchmark
    public int[] int8Gemm() throws ReflectiveOperationException {
        gemm.invoke(impl, a, 0, M, packed, 0, N, bias, acc);
        return acc;
    }

    @Benchmark
    public float[] float32Gemm() {
        FloatGemm.gemm(fa, fw, fc, M, N, K);
        return fc;
    }

    /** The float32 baseline: the same 2x4 register tile, FMA on preferred-size float vectors. */
    static final class FloatGemm {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

        static void gemm(float[] a, float[] w, float[] c, int m, int n, int k) {
            int kv = k / F.length() * F.length();
            for (int j = 0; j < n; j += 4) {
                for (int i = 0; i < m; i += 2) {
                    FloatVector s00 = FloatVector.zero(F);
                    FloatVector s01 = FloatVector.zero(F);
                    FloatVector s02 = FloatVector.zero(F);
                    FloatVector s03 = FloatVector.zero(F);
                    FloatVector s10 = FloatVector.zero(F);
                    FloatVector s11 = FloatVector.zero(F);
                    FloatVector s12 = FloatVector.zero(F);
                    FloatVector s13 = FloatVector.zero(F);
                    int a0 = i * k;
                    int a1 = a0 + k;
                    for (int kk = 0; kk < kv; kk += F.length()) {
                        FloatVector x0 = FloatVector.fromArray(F, a, a0 + kk);
                        FloatVector x1 = FloatVector.fromArray(F, a, a1 + kk);
                        FloatVector y = FloatVector.fromArray(F, w, j * k + kk);
                        s00 = x0.fma(y, s00);
                        s10 = x1.fma(y, s10);
                        y = FloatVector.fromArray(F, w, (j + 1) * k + kk);
                        s01 = x0.fma(y, s01);
                        s11 = x1.fma(y, s11);
                        y = FloatVector.fromArray(F, w, (j + 2) * k + kk);
                        s02 = x0.fma(y, s02);
                        s12 = x1.fma(y, s12);
                        y = FloatVector.fromArray(F, w, (j + 3) * k + kk);
                        s03 = x0.fma(y, s03);
                        s13 = x1.fma(y, s13);
                    }
                    c[i * n + j] = s00.reduceLanes(VectorOperators.ADD);
                    c[i * n + j + 1] = s01.reduceLanes(VectorOperators.ADD);
                    c[i * n + j + 2] = s02.reduceLanes(VectorOperators.ADD);
                    c[i * n + j + 3] = s03.reduceLanes(VectorOperators.ADD);
                    c[(i + 1) * n + j] = s10.reduceLanes(VectorOperators.ADD);
                    c[(i + 1) * n + j + 1] = s11.reduceLanes(VectorOperators.ADD);
                    c[(i + 1) * n + j + 2] = s12.reduceLanes(VectorOperators.ADD);
                    c[(i + 1) * n + j + 3] = s13.reduceLanes(VectorOperators.ADD);
                }
            }
        }
    }
}
