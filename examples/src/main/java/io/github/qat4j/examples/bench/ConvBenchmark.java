package io.github.qat4j.examples.bench;

import io.github.qat4j.core.runtime.Activation;
import io.github.qat4j.core.runtime.Int8Model;
import io.github.qat4j.core.runtime.TensorQuantization;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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
 * One int8 convolution of LeNet through the public API (im2col, GEMM, requantization, one image,
 * one core): conv1 20x1x5x5 on 28x28 (288,000 MACs) and conv2 50x20x5x5 on 12x12 (1,600,000 MACs).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class ConvBenchmark {

  @Param({"conv1", "conv2"})
  public String layer;

  private Int8Model model;
  private byte[] image;

  @Setup(Level.Trial)
  public void setUp() {
    boolean first = layer.equals("conv1");
    int in = first ? 1 : 20;
    int size = first ? 28 : 12;
    int out = first ? 20 : 50;
    Random rnd = new Random(2);
    byte[] w = new byte[out * in * 25];
    for (int i = 0; i < w.length; i++) {
      w[i] = (byte) (rnd.nextInt(255) - 127);
    }
    float[] scales = new float[out];
    java.util.Arrays.fill(scales, 0.01f);
    model = Int8Model.builder(new int[] {in, size, size}, new TensorQuantization(0.02f, 3, 8))
        .conv2d(layer, w, new int[] {out, in, 5, 5}, 8, scales, new float[out], new int[] {1, 1},
            new int[] {0, 0, 0, 0}, new int[] {1, 1}, 1, new TensorQuantization(0.05f, 0, 8), Activation.RELU)
        .build();
    image = new byte[in * size * size];
    rnd.nextBytes(image);
  }

  @Benchmark
  public float[] conv() {
    return model.predictUint8(image);
  }
}
