package io.github.qat4j.examples.bench;

import io.github.qat4j.core.runtime.Activation;
import io.github.qat4j.core.runtime.Int8Model;
import io.github.qat4j.core.runtime.TensorQuantization;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One int8 convolution through the public API (the padded copy of its input, im2col or wide rows,
 * GEMM, requantization, one image) at the shapes of the project's models, with the Vector API kernels and the scalar
 * reference, on a ForkJoinPool of {@code threads}: with 1 the op runs on one core, with 2 its tiles
 * are split as a batch-1 {@code predict} splits them. Ten calls per submission to the pool, so its
 * hand-off is amortized. GMAC/s = MACs / (microseconds per op) / 1000, with the MACs per shape
 * listed below.
 *
 * <ul>
 *   <li>{@code lenet_conv1}: 20x1x5x5 on 28x28, no padding: 288,000 MACs;
 *   <li>{@code lenet_conv2}: 50x20x5x5 on 12x12: 1,600,000 MACs;
 *   <li>{@code resnet_stage1}: 16x16x3x3 on 32x32, padding 1: 2,359,296 MACs;
 *   <li>{@code resnet_stage2}: 32x32x3x3 on 16x16, padding 1: 2,359,296 MACs;
 *   <li>{@code resnet_stage3}: 64x64x3x3 on 8x8, padding 1: 2,359,296 MACs.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class ConvBenchmark {

    private static final int CALLS = 10;

    @Param({"lenet_conv1", "lenet_conv2", "resnet_stage1", "resnet_stage2", "resnet_stage3"})
    public String layer;

    @Param({"vector", "scalar"})
    public String kernels;

    @Param({"1", "2"})
    public int threads;

    private Int8Model model;
    private byte[] image;
    private ForkJoinPool pool;

    @Setup(Level.Trial)
    public void setUp() {
        // in channels, size, out channels, kernel, padding
        int[] shape = switch (layer) {
            case "lenet_conv1" -> new int[] {1, 28, 20, 5, 0};
            case "lenet_conv2" -> new int[] {20, 12, 50, 5, 0};
            case "resnet_stage1" -> new int[] {16, 32, 16, 3, 1};
            case "resnet_stage2" -> new int[] {32, 16, 32, 3, 1};
            case "resnet_stage3" -> new int[] {64, 8, 64, 3, 1};
            default -> throw new IllegalArgumentException(layer);
        };
        int in = shape[0];
        int size = shape[1];
        int out = shape[2];
        int k = shape[3];
        int pad = shape[4];
        Random rnd = new Random(2);
        byte[] w = new byte[out * in * k * k];
        for (int i = 0; i < w.length; i++) {
            w[i] = (byte) (rnd.nextInt(255) - 127);
        }
        float[] scales = new float[out];
        java.util.Arrays.fill(scales, 0.01f);
        Int8Model vector = Int8Model.builder(new int[] {in, size, size}, new TensorQuantization(0.02f, 3, 8))
                .conv2d(
                        layer,
                        w,
                        new int[] {out, in, k, k},
                        8,
                        scales,
                        new float[out],
                        new int[] {1, 1},
                        new int[] {pad, pad, pad, pad},
                        new int[] {1, 1},
                        1,
                        new TensorQuantization(0.05f, 0, 8),
                        Activation.RELU)
                .build();
        model = kernels.equals("vector") ? vector : vector.withScalarKernels();
        image = new byte[in * size * size];
        rnd.nextBytes(image);
        pool = new ForkJoinPool(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.shutdown();
    }

    @Benchmark
    @OperationsPerInvocation(CALLS)
    public float[] conv() throws Exception {
        return pool.submit(() -> {
                    float[] out = null;
                    for (int i = 0; i < CALLS; i++) {
                        out = model.predictUint8(image);
                    }
                    return out;
                })
                .get();
    }
}
