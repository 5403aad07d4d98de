package io.github.qat4j.core.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A {@link Graph} compiled for {@link Int8Kernels}: weights packed, zero-point corrections folded
 * into the int32 biases, quantization parameters moved to the signed domain, and every tensor
 * given a scratch slot that it shares with tensors whose lifetimes do not overlap. Stateless after
 * construction; each thread brings its own {@link Scratch}.
 */
final class Executor {

  /** Scratch bytes per thread that the batch chunk is sized to: a few L2s, not the heap. */
  private static final long CHUNK_BUDGET = 16L << 20;
  /** Images per chunk at most: enough rows for the GEMM's register tiles to amortize. */
  static final int MAX_CHUNK = 64;

  private final Graph graph;
  private final Int8Kernels kernels;
  private final Step[] steps;
  private final int[] slotOf;
  private final int[] slotBytes;
  private final int chunk;
  private final int colsBytes;
  private final int maxConvAcc;
  private final int maxDenseN;

  /** Per-thread buffers for up to {@code images} inputs at a time; never resized. */
  static final class Scratch {
    final int images;
    final byte[][] slots;
    final byte[] cols;
    final int[] acc;
    final float[] logits;

    private Scratch(Executor e, int images) {
      this.images = images;
      slots = new byte[e.slotBytes.length][];
      for (int i = 0; i < slots.length; i++) {
        slots[i] = new byte[e.slotBytes[i] * images + Int8Kernels.ROW_SLACK];
      }
      cols = new byte[e.colsBytes + Int8Kernels.ROW_SLACK];
      acc = new int[Math.max(e.maxConvAcc, e.maxDenseN * images)];
      logits = new float[e.graph.output().quantization() == null ? e.graph.output().size() * images : 0];
    }
  }

  private interface Step {
    void run(Scratch s, int images);
  }

  Executor(Graph graph, Int8Kernels kernels) {
    this.graph = graph;
    this.kernels = kernels;
    List<TensorInfo> tensors = graph.tensors();
    List<Op> ops = graph.ops();
    slotOf = new int[tensors.size()];
    slotBytes = assignSlots(tensors, ops, slotOf);
    long perImage = 0;
    for (int b : slotBytes) {
      perImage += b;
    }
    long cols = 0;
    long convAcc = 0;
    long denseN = 0;
    for (int i = 0; i < ops.size(); i++) {
      TensorInfo out = tensors.get(i + 1);
      if (ops.get(i) instanceof Op.Conv2D c) {
        int pixels = out.dim(1) * out.dim(2);
        convAcc = Math.max(convAcc, (long) pixels * c.outChannels());
        if (!c.depthwise()) {
          cols = Math.max(cols, (long) kernels.pixelStride(pixels) * c.inChannels() * c.kH() * c.kW());
        }
      } else if (ops.get(i) instanceof Op.Dense) {
        denseN = Math.max(denseN, out.size());
      }
    }
    perImage += 4 * (denseN + graph.output().size());
    long fixed = cols + 4 * convAcc;
    chunk = (int) Math.max(1, Math.min(MAX_CHUNK, (CHUNK_BUDGET - fixed) / perImage));
    colsBytes = (int) cols;
    maxConvAcc = (int) convAcc;
    maxDenseN = (int) denseN;
    steps = new Step[ops.size()];
    for (int i = 0; i < steps.length; i++) {
      steps[i] = compile(ops.get(i), tensors, i);
    }
  }

  /**
   * Greedy interval allocation: a tensor lives from the op that writes it to the last op that
   * reads it (the model output to the end), and takes any slot free at its birth.
   */
  private static int[] assignSlots(List<TensorInfo> tensors, List<Op> ops, int[] slotOf) {
    int[] lastUse = new int[tensors.size()];
    for (int i = 0; i < ops.size(); i++) {
      for (int in : ops.get(i).inputs()) {
        lastUse[in] = i;
      }
    }
    lastUse[tensors.size() - 1] = ops.size();
    ArrayList<Integer> sizes = new ArrayList<>();
    ArrayList<Integer> freeAfter = new ArrayList<>();
    for (int t = 0; t < tensors.size(); t++) {
      int birth = t - 1;
      int slot = -1;
      for (int s = 0; s < sizes.size() && slot < 0; s++) {
        if (freeAfter.get(s) < birth) {
          slot = s;
        }
      }
      if (slot < 0) {
        slot = sizes.size();
        sizes.add(0);
        freeAfter.add(0);
      }
      slotOf[t] = slot;
      sizes.set(slot, Math.max(sizes.get(slot), tensors.get(t).size()));
      freeAfter.set(slot, Math.max(lastUse[t], birth));
    }
    return sizes.stream().mapToInt(Integer::intValue).toArray();
  }

  int chunk() {
    return chunk;
  }

  /**
   * Scratch for {@code images} inputs: single predictions get buffers for one image, and a thread
   * that sees a batch moves once to buffers for a whole chunk.
   */
  Scratch scratch(Scratch current, int images) {
    if (current != null && current.images >= images) {
      return current;
    }
    return new Scratch(this, images > 1 ? chunk : 1);
  }

  /** The buffer of tensor {@code t}; image {@code b} starts at {@code b * size(t)}. */
  byte[] tensor(Scratch s, int t) {
    return s.slots[slotOf[t]];
  }

  /** Runs ops {@code 0..lastOp} on {@code images} inputs already in tensor 0. */
  void run(Scratch s, int images, int lastOp) {
    for (int i = 0; i <= lastOp; i++) {
      steps[i].run(s, images);
    }
  }

  private Step compile(Op op, List<TensorInfo> tensors, int index) {
    int[] in = op.inputs();
    TensorInfo x = tensors.get(in[0]);
    TensorInfo y = tensors.get(index + 1);
    int inSize = x.size();
    int outSize = y.size();
    int src = slotOf[in[0]];
    int dst = slotOf[index + 1];
    if (op instanceof Op.Dense d) {
      OutputStage stage = new OutputStage(d.output(), foldBias(d.bias(), d.weights(), d.inFeatures(), x));
      PackedWeights w = kernels.packWeights(d.weights(), d.outFeatures(), d.inFeatures());
      return (s, images) -> {
        kernels.gemm(s.slots[src], 0, images, w, stage.bias, s.acc);
        stage.apply(s, images, d.outFeatures(), false, s.slots[dst], 0);
      };
    }
    if (op instanceof Op.Conv2D c) {
      ConvGeometry g = c.geometry(x.dim(1), x.dim(2));
      int pixels = g.outPlane();
      int k = c.weights().length / c.outChannels();
      OutputStage stage = new OutputStage(c.output(), foldBias(c.bias(), c.weights(), k, x));
      byte pad = (byte) (x.quantization().zeroPoint() - 128);
      if (c.depthwise()) {
        int multiplier = c.outChannels() / c.inChannels();
        byte[] w = c.weights().clone();
        return (s, images) -> {
          for (int b = 0; b < images; b++) {
            kernels.depthwiseConv(s.slots[src], b * inSize, g, multiplier, w, stage.bias, pad, s.acc);
            stage.apply(s, c.outChannels(), pixels, true, s.slots[dst], b * outSize);
          }
        };
      }
      PackedWeights w = kernels.packConvWeights(c.weights(), c.outChannels(), k);
      int stride = kernels.pixelStride(pixels);
      return (s, images) -> {
        for (int b = 0; b < images; b++) {
          kernels.im2col(s.slots[src], b * inSize, g, pad, s.cols, stride);
          kernels.convGemm(s.cols, pixels, stride, w, stage.bias, s.acc);
          stage.apply(s, c.outChannels(), pixels, true, s.slots[dst], b * outSize);
        }
      };
    }
    if (op instanceof Op.Pool p) {
      ConvGeometry g = p.geometry(x.dim(0), x.dim(1), x.dim(2));
      return (s, images) -> {
        for (int b = 0; b < images; b++) {
          if (p.average()) {
            kernels.avgPool(s.slots[src], b * inSize, g, s.slots[dst], b * outSize);
          } else {
            kernels.maxPool(s.slots[src], b * inSize, g, s.slots[dst], b * outSize);
          }
        }
      };
    }
    if (op instanceof Op.GlobalAvgPool) {
      int plane = x.dim(1) * x.dim(2);
      return (s, images) -> kernels.globalAvgPool(s.slots[src], 0, images * x.dim(0), plane, s.slots[dst], 0);
    }
    if (op instanceof Op.Add a) {
      int src2 = slotOf[in[1]];
      Int8Kernels.AddParams params = new Int8Kernels.AddParams(a.leftShift(),
          128 - x.quantization().zeroPoint(), a.input1Multiplier(), a.input1Shift(),
          128 - tensors.get(in[1]).quantization().zeroPoint(), a.input2Multiplier(), a.input2Shift(),
          a.quantization().zeroPoint() - 128, a.outputMultiplier(), a.outputShift(),
          a.quantizedActivationMin() - 128, a.quantizedActivationMax() - 128);
      return (s, images) -> kernels.add(s.slots[src], 0, s.slots[src2], 0, images * outSize, params, s.slots[dst], 0);
    }
    return (s, images) -> System.arraycopy(s.slots[src], 0, s.slots[dst], 0, images * outSize);
  }

  /**
   * {@code bias[c] - input_zero * sum_k w[c][k]} with the zero point in the signed domain: the
   * kernels multiply raw activations, {@code sum (a - z) w = sum a w - z sum w}.
   */
  private static int[] foldBias(int[] bias, byte[] weights, int k, TensorInfo input) {
    int zero = input.quantization().zeroPoint() - 128;
    int[] folded = new int[bias.length];
    for (int c = 0; c < bias.length; c++) {
      int sum = 0;
      for (int i = c * k; i < (c + 1) * k; i++) {
        sum += weights[i];
      }
      folded[c] = bias[c] - zero * sum;
    }
    return folded;
  }

  /** Requantize to int8, or dequantize to float logits (the last op only). */
  private final class OutputStage {
    final int[] bias;
    final Op.Requantized requantized;
    final float[] outputScale;

    OutputStage(Op.Output output, int[] bias) {
      this.bias = bias;
      this.requantized = output instanceof Op.Requantized r ? r : null;
      this.outputScale = output instanceof Op.Dequantized d ? d.outputScale() : null;
    }

    /**
     * {@code acc} is {@code [rows][cols]}, the layout of the output; the channel is the row when
     * {@code channelPerRow} (a convolution's {@code [channel][pixel]}), else the column.
     */
    void apply(Scratch s, int rows, int cols, boolean channelPerRow, byte[] out, int outOffset) {
      if (requantized != null) {
        Op.Requantized r = requantized;
        kernels.requantize(s.acc, rows, cols, channelPerRow, r.outputMultiplier(), r.outputShift(),
            r.quantization().zeroPoint() - 128, r.quantizedActivationMin() - 128, r.quantizedActivationMax() - 128,
            out, outOffset);
        return;
      }
      // outOffset counts bytes of the int8 tensor; the logits buffer has the same layout in floats.
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
          s.logits[outOffset + i * cols + j] = s.acc[i * cols + j] * outputScale[channelPerRow ? i : j];
        }
      }
    }
  }

  /** The int32 accumulators of a dequantizing last op for image 0 of the last run, in NCHW order. */
  int[] lastAccumulators(Scratch s) {
    return Arrays.copyOf(s.acc, graph.output().size());
  }
}
