package io.github.qat4j.core.runtime;

import io.github.qat4j.core.quant.Requantization;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernels; the only class that touches {@code jdk.incubator.vector}. Overrides the
 * kernels whose cost grows with the number of multiply-accumulates (the GEMM behind Dense and
 * Conv2D) and, with 512-bit vectors, the requantization of convolution outputs and the integer
 * Add (three fixed-point multiplies per value: 30% of ResNet-8's time at batch 1 while scalar).
 * Pooling keeps the reference loops of {@link ScalarInt8Kernels}.
 */
final class PanamaInt8Kernels extends ScalarInt8Kernels {

  private static final VectorSpecies<Integer> INT = IntVector.SPECIES_PREFERRED;
  /** As many bytes as INT has lanes: one B2I convert fills an int vector. */
  private static final VectorSpecies<Byte> BYTE =
      VectorSpecies.of(byte.class, VectorShape.forBitSize(INT.length() * Byte.SIZE));
  private static final int LANES = INT.length();
  /** Weight rows per register tile. */
  private static final int NR = 4;
  /** Requantization works in 64-bit lanes, as TFLite's MultiplyByQuantizedMultiplier does. */
  private static final VectorSpecies<Long> LONG = LongVector.SPECIES_PREFERRED;
  /** As many ints and bytes as LONG has lanes; no byte species is narrower than 64 bits. */
  private static final VectorSpecies<Integer> INT_OF_LONG =
      VectorSpecies.of(int.class, VectorShape.forBitSize(LONG.length() * Integer.SIZE));
  private static final VectorSpecies<Byte> BYTE_OF_LONG = LONG.length() * Byte.SIZE >= 64
      ? VectorSpecies.of(byte.class, VectorShape.forBitSize(LONG.length() * Byte.SIZE)) : null;
  /** Left-hand side bytes kept hot per block of rows, well inside a 32-48 KiB L1. */
  private static final int A_BLOCK_BYTES = 16 * 1024;
  /** Values per block of {@link #add}: its three passes over a block's sums stay in L1. */
  private static final int ADD_BLOCK = 512;
  /** Each thread's block of int32 sums for {@link #add}, allocated once per thread. */
  private static final ThreadLocal<int[]> ADD_SUMS = ThreadLocal.withInitial(() -> new int[ADD_BLOCK]);

  PanamaInt8Kernels() {
    if (INT.vectorBitSize() < 256) {
      // B2I from a 64-bit byte vector is the narrowest that exists; below that scalar is as good.
      throw new UnsupportedOperationException("preferred vector size is " + INT.vectorBitSize() + " bits");
    }
  }

  @Override
  public String name() {
    return "Vector API, " + INT.vectorBitSize() + "-bit int vectors (" + LANES + " lanes)";
  }

  private static int paddedK(int k) {
    return (k + LANES - 1) / LANES * LANES;
  }

  /**
   * Blocks of {@link #NR} rows; inside a block, for each step of {@code LANES} along k, the NR
   * rows' bytes follow each other, so the hot loop reads weights strictly sequentially. k is
   * zero-padded to a multiple of LANES (no tail loop; the left side's padding bytes meet zeros)
   * and n to a multiple of NR (the padded rows' results are never stored).
   */
  @Override
  public PackedWeights packWeights(byte[] weights, int n, int k) {
    checkWeights(weights, n, k);
    int kp = paddedK(k);
    int blocks = (n + NR - 1) / NR;
    if ((long) blocks * NR * kp > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("weights too large to pack: " + n + " x " + k);
    }
    byte[] packed = new byte[blocks * NR * kp];
    for (int j = 0; j < n; j++) {
      int block = (j / NR) * NR * kp;
      for (int kk = 0; kk < k; kk++) {
        packed[block + (kk / LANES) * NR * LANES + (j % NR) * LANES + kk % LANES] = weights[j * k + kk];
      }
    }
    return new PackedWeights(packed, n, k);
  }

  @Override
  public void gemm(byte[] a, int aOffset, int m, PackedWeights w, int from, int to, int[] bias, int[] acc) {
    int n = w.n();
    int k = w.k();
    int kp = paddedK(k);
    byte[] wd = w.data();
    // Rows of A per block: a block stays in L1 while every weight block streams past it once.
    int mc = Math.max(2, A_BLOCK_BYTES / kp & ~1);
    for (int i0 = 0; i0 < m; i0 += mc) {
      int i1 = Math.min(m, i0 + mc);
      for (int j = from; j < to; j += NR) {
        int wOffset = j * kp;
        int i = i0;
        for (; i + 2 <= i1; i += 2) {
          tile2x4(a, aOffset + i * k, aOffset + (i + 1) * k, wd, wOffset, kp, bias, j, to, n, acc, i * n);
        }
        if (i < i1) {
          tile1x4(a, aOffset + i * k, wd, wOffset, kp, bias, j, to, acc, i * n);
        }
      }
    }
  }

  /**
   * Two rows of A times four weight rows, eight accumulators written out by hand. Measured on
   * JDK 17 (M=64, K=800, N=500): bytes widened straight to ints (B2I) with a 32-bit multiply beat
   * Lucene's B2S -> short multiply -> S2I path (40 vs 25-28 GMAC/s in a dot product), and this
   * 2x4 tile inlined in the loop reached 58 GMAC/s, while a 4x4 tile built from small methods
   * returning vectors collapsed to 2.5 (the JIT stopped keeping the vectors in registers).
   */
  private static void tile2x4(byte[] a, int a0, int a1, byte[] w, int wOffset, int kp, int[] bias, int j,
      int to, int n, int[] acc, int c0) {
    IntVector s00 = IntVector.zero(INT);
    IntVector s01 = IntVector.zero(INT);
    IntVector s02 = IntVector.zero(INT);
    IntVector s03 = IntVector.zero(INT);
    IntVector s10 = IntVector.zero(INT);
    IntVector s11 = IntVector.zero(INT);
    IntVector s12 = IntVector.zero(INT);
    IntVector s13 = IntVector.zero(INT);
    for (int kk = 0, wo = wOffset; kk < kp; kk += LANES, wo += NR * LANES) {
      IntVector x0 = (IntVector) ByteVector.fromArray(BYTE, a, a0 + kk).convertShape(VectorOperators.B2I, INT, 0);
      IntVector x1 = (IntVector) ByteVector.fromArray(BYTE, a, a1 + kk).convertShape(VectorOperators.B2I, INT, 0);
      IntVector y = (IntVector) ByteVector.fromArray(BYTE, w, wo).convertShape(VectorOperators.B2I, INT, 0);
      s00 = s00.add(x0.mul(y));
      s10 = s10.add(x1.mul(y));
      y = (IntVector) ByteVector.fromArray(BYTE, w, wo + LANES).convertShape(VectorOperators.B2I, INT, 0);
      s01 = s01.add(x0.mul(y));
      s11 = s11.add(x1.mul(y));
      y = (IntVector) ByteVector.fromArray(BYTE, w, wo + 2 * LANES).convertShape(VectorOperators.B2I, INT, 0);
      s02 = s02.add(x0.mul(y));
      s12 = s12.add(x1.mul(y));
      y = (IntVector) ByteVector.fromArray(BYTE, w, wo + 3 * LANES).convertShape(VectorOperators.B2I, INT, 0);
      s03 = s03.add(x0.mul(y));
      s13 = s13.add(x1.mul(y));
    }
    store(acc, c0, j, to, bias, s00.reduceLanes(VectorOperators.ADD), s01.reduceLanes(VectorOperators.ADD),
        s02.reduceLanes(VectorOperators.ADD), s03.reduceLanes(VectorOperators.ADD));
    store(acc, c0 + n, j, to, bias, s10.reduceLanes(VectorOperators.ADD), s11.reduceLanes(VectorOperators.ADD),
        s12.reduceLanes(VectorOperators.ADD), s13.reduceLanes(VectorOperators.ADD));
  }

  /** The odd last row of A: tile2x4 with one row. */
  private static void tile1x4(byte[] a, int a0, byte[] w, int wOffset, int kp, int[] bias, int j, int to,
      int[] acc, int c0) {
    IntVector s0 = IntVector.zero(INT);
    IntVector s1 = IntVector.zero(INT);
    IntVector s2 = IntVector.zero(INT);
    IntVector s3 = IntVector.zero(INT);
    for (int kk = 0, wo = wOffset; kk < kp; kk += LANES, wo += NR * LANES) {
      IntVector x = (IntVector) ByteVector.fromArray(BYTE, a, a0 + kk).convertShape(VectorOperators.B2I, INT, 0);
      s0 = s0.add(x.mul((IntVector) ByteVector.fromArray(BYTE, w, wo).convertShape(VectorOperators.B2I, INT, 0)));
      s1 = s1.add(x.mul(
          (IntVector) ByteVector.fromArray(BYTE, w, wo + LANES).convertShape(VectorOperators.B2I, INT, 0)));
      s2 = s2.add(x.mul(
          (IntVector) ByteVector.fromArray(BYTE, w, wo + 2 * LANES).convertShape(VectorOperators.B2I, INT, 0)));
      s3 = s3.add(x.mul(
          (IntVector) ByteVector.fromArray(BYTE, w, wo + 3 * LANES).convertShape(VectorOperators.B2I, INT, 0)));
    }
    store(acc, c0, j, to, bias, s0.reduceLanes(VectorOperators.ADD), s1.reduceLanes(VectorOperators.ADD),
        s2.reduceLanes(VectorOperators.ADD), s3.reduceLanes(VectorOperators.ADD));
  }

  /**
   * A convolution's rows (one channel each, so one multiplier and shift per row) in LONG-sized
   * steps, each lane computed as {@link io.github.qat4j.core.quant.Requantization
   * #multiplyByQuantizedMultiplier} does; dense outputs (a channel per column) and narrow vectors
   * take the scalar loop. Below 512 bits the 64-bit lane multiply and arithmetic shift have no
   * instruction (vpmullq and vpsraq are AVX-512): a version for 256-bit vectors made LeNet's conv1
   * slower on AVX2 (199 against 126 µs in ConvBenchmark), so it was not kept.
   */
  @Override
  public void requantize(int[] acc, int accOffset, int accRowStride, int rows, int cols, boolean channelPerRow,
      int[] outputMultiplier, int[] outputShift, long[] outputBias, int outputOffset, int quantizedActivationMin,
      int quantizedActivationMax, byte[] out, int outOffset, int outRowStride) {
    if (!channelPerRow || BYTE_OF_LONG == null) {
      super.requantize(acc, accOffset, accRowStride, rows, cols, channelPerRow, outputMultiplier, outputShift,
          outputBias, outputOffset, quantizedActivationMin, quantizedActivationMax, out, outOffset, outRowStride);
      return;
    }
    int lanes = LONG.length();
    for (int i = 0; i < rows; i++) {
      int multiplier = outputMultiplier[i];
      int shift = outputShift[i];
      long bias = outputBias[i];
      int row = accOffset + i * accRowStride;
      int dst = outOffset + i * outRowStride;
      int j = 0;
      for (; j + lanes <= cols; j += lanes) {
        LongVector x = (LongVector) IntVector.fromArray(INT_OF_LONG, acc, row + j)
            .convertShape(VectorOperators.I2L, LONG, 0);
        LongVector v = multiplyByQuantizedMultiplier(x, multiplier, shift, bias)
            .add(outputOffset).max(quantizedActivationMin).min(quantizedActivationMax);
        ((ByteVector) v.convertShape(VectorOperators.L2B, BYTE_OF_LONG, 0)).intoArray(out, dst + j);
      }
      for (; j < cols; j++) {
        long v = (long) Requantization.multiplyByQuantizedMultiplier(acc[row + j], multiplier, shift, bias)
            + outputOffset;
        out[dst + j] = (byte) Math.max(quantizedActivationMin, Math.min(quantizedActivationMax, v));
      }
    }
  }

  /**
   * TFLite's integer Add in LONG-sized steps, each lane as {@link ScalarInt8Kernels#add} computes
   * it, block by block: one pass rescales the first input into {@link #ADD_SUMS}, one adds the
   * second input's rescaled values (the int32 conversion wraps the sum as Java's int addition
   * does), one requantizes to the output. One vector multiply per loop: with all three in one loop
   * C2 stopped inlining the third (NodeCountInliningCutoff), boxed its vectors, and ResNet-8 at
   * batch 1 ran at half the scalar speed. Narrow vectors and the tail take the scalar loop.
   */
  @Override
  public void add(byte[] in1, int in1Offset, byte[] in2, int in2Offset, int size, AddParams p, byte[] out,
      int outOffset) {
    int i = 0;
    if (BYTE_OF_LONG != null) {
      int lanes = LONG.length();
      int[] sums = ADD_SUMS.get();
      for (int block; (block = Math.min(ADD_BLOCK, (size - i) / lanes * lanes)) > 0; i += block) {
        rescale(in1, in1Offset + i, block, p.input1Offset(), p.leftShift(), p.input1Multiplier(), p.input1Shift(),
            sums, false);
        rescale(in2, in2Offset + i, block, p.input2Offset(), p.leftShift(), p.input2Multiplier(), p.input2Shift(),
            sums, true);
        for (int j = 0; j < block; j += lanes) {
          LongVector sum = (LongVector) IntVector.fromArray(INT_OF_LONG, sums, j)
              .convertShape(VectorOperators.I2L, LONG, 0);
          LongVector v = multiplyByQuantizedMultiplier(sum, p.outputMultiplier(), p.outputShift())
              .add(p.outputOffset()).max(p.quantizedActivationMin()).min(p.quantizedActivationMax());
          ((ByteVector) v.convertShape(VectorOperators.L2B, BYTE_OF_LONG, 0)).intoArray(out, outOffset + i + j);
        }
      }
    }
    super.add(in1, in1Offset + i, in2, in2Offset + i, size - i, p, out, outOffset + i);
  }

  /**
   * {@code sums[j] = MultiplyByQuantizedMultiplier((int) ((in[j] + inputOffset) << leftShift),
   * multiplier, shift)} for {@code j < count} (a multiple of LONG's lanes), or that added to
   * {@code sums[j]} with int32 wrap-around when {@code accumulate}.
   */
  private static void rescale(byte[] in, int offset, int count, int inputOffset, int leftShift, int multiplier,
      int shift, int[] sums, boolean accumulate) {
    for (int j = 0; j < count; j += LONG.length()) {
      LongVector x = (LongVector) ByteVector.fromArray(BYTE_OF_LONG, in, offset + j)
          .convertShape(VectorOperators.B2L, LONG, 0);
      // (x + offset) << leftShift wrapped to int32 as Java's int shift wraps it, sign-extended back.
      LongVector shifted = x.add(inputOffset).lanewise(VectorOperators.LSHL, 32 + leftShift)
          .lanewise(VectorOperators.ASHR, 32);
      LongVector scaled = multiplyByQuantizedMultiplier(shifted, multiplier, shift);
      if (accumulate) {
        scaled = scaled.add(IntVector.fromArray(INT_OF_LONG, sums, j).convertShape(VectorOperators.I2L, LONG, 0));
      }
      ((IntVector) scaled.convertShape(VectorOperators.L2I, INT_OF_LONG, 0)).intoArray(sums, j);
    }
  }

  /**
   * {@link Requantization#multiplyByQuantizedMultiplier} on int32 values held in long lanes: the
   * exact 64-bit product plus the bias, an arithmetic shift, ties to even, saturated to int32.
   */
  private static LongVector multiplyByQuantizedMultiplier(LongVector x, int multiplier, int shift) {
    return multiplyByQuantizedMultiplier(x, multiplier, shift, 0);
  }

  private static LongVector multiplyByQuantizedMultiplier(LongVector x, int multiplier, int shift, long bias) {
    int total = 31 - shift;
    LongVector product = x.mul(multiplier).add(bias);
    LongVector floor = product.lanewise(VectorOperators.ASHR, total);
    LongVector remainder = product.and((1L << total) - 1);
    VectorMask<Long> up = remainder.add(floor.and(1)).compare(VectorOperators.GT, 1L << (total - 1));
    return floor.add(LongVector.broadcast(LONG, 1), up).max(Integer.MIN_VALUE).min(Integer.MAX_VALUE);
  }

  /** Two int vectors of pixels per register tile of {@link #convGemm}. */
  @Override
  public int pixelStride(int pixels) {
    return (pixels + 2 * LANES - 1) / (2 * LANES) * (2 * LANES);
  }

  /**
   * Blocks of {@link #NR} rows, k-major inside a block: the NR weights of one tap follow each
   * other, so {@link #convGemm} reads them strictly sequentially. n is zero-padded to a multiple
   * of NR (the padded rows' results are never stored).
   */
  @Override
  public PackedWeights packConvWeights(byte[] weights, int n, int k) {
    checkWeights(weights, n, k);
    int blocks = (n + NR - 1) / NR;
    if ((long) blocks * NR * k > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("weights too large to pack: " + n + " x " + k);
    }
    byte[] packed = new byte[blocks * NR * k];
    for (int j = 0; j < n; j++) {
      for (int kk = 0; kk < k; kk++) {
        packed[(j / NR) * NR * k + kk * NR + j % NR] = weights[j * k + kk];
      }
    }
    return new PackedWeights(packed, n, k);
  }

  /**
   * Vectorized along pixels: a tile is two int vectors of pixels times four channels, each tap
   * adds a column slice times a broadcast weight, so no lane reductions are needed and the sums
   * land in {@code [channel][pixel]} order. A block of 2 * LANES pixel columns (k rows of them)
   * stays in L1 while every weight block passes.
   */
  @Override
  public void convGemm(byte[] src, int srcOffset, int[] tapOffset, int pixels, PackedWeights w, int[] bias,
      int[] acc) {
    int n = w.n();
    int k = w.k();
    byte[] wd = w.data();
    for (int p = 0; p < pixels; p += 2 * LANES) {
      for (int j = 0; j < n; j += NR) {
        convTile(src, srcOffset + p, tapOffset, wd, j * k, k, bias, j, n, acc, p, pixels);
      }
    }
  }

  /**
   * One tile, with its stores written out: passing the vectors to a helper that the JIT does not
   * inline makes it box them, which cost more than the multiply-adds.
   */
  private static void convTile(byte[] src, int srcOffset, int[] tapOffset, byte[] w, int wOffset, int k,
      int[] bias, int j, int n, int[] acc, int p, int pixels) {
    IntVector s00 = IntVector.broadcast(INT, bias[j]);
    IntVector s01 = IntVector.broadcast(INT, j + 1 < n ? bias[j + 1] : 0);
    IntVector s02 = IntVector.broadcast(INT, j + 2 < n ? bias[j + 2] : 0);
    IntVector s03 = IntVector.broadcast(INT, j + 3 < n ? bias[j + 3] : 0);
    IntVector s10 = s00;
    IntVector s11 = s01;
    IntVector s12 = s02;
    IntVector s13 = s03;
    for (int kk = 0, wo = wOffset; kk < k; kk++, wo += NR) {
      int c = srcOffset + tapOffset[kk];
      IntVector x0 = (IntVector) ByteVector.fromArray(BYTE, src, c).convertShape(VectorOperators.B2I, INT, 0);
      IntVector x1 = (IntVector) ByteVector.fromArray(BYTE, src, c + LANES)
          .convertShape(VectorOperators.B2I, INT, 0);
      IntVector y = IntVector.broadcast(INT, w[wo]);
      s00 = s00.add(x0.mul(y));
      s10 = s10.add(x1.mul(y));
      y = IntVector.broadcast(INT, w[wo + 1]);
      s01 = s01.add(x0.mul(y));
      s11 = s11.add(x1.mul(y));
      y = IntVector.broadcast(INT, w[wo + 2]);
      s02 = s02.add(x0.mul(y));
      s12 = s12.add(x1.mul(y));
      y = IntVector.broadcast(INT, w[wo + 3]);
      s03 = s03.add(x0.mul(y));
      s13 = s13.add(x1.mul(y));
    }
    // Masked stores cut off the pixels past the row's end (all lanes set but in the last block).
    VectorMask<Integer> m0 = INT.indexInRange(p, pixels);
    VectorMask<Integer> m1 = INT.indexInRange(p + LANES, pixels);
    int row = j * pixels + p;
    s00.intoArray(acc, row, m0);
    s10.intoArray(acc, row + LANES, m1);
    if (j + 1 < n) {
      s01.intoArray(acc, row + pixels, m0);
      s11.intoArray(acc, row + pixels + LANES, m1);
    }
    if (j + 2 < n) {
      s02.intoArray(acc, row + 2 * pixels, m0);
      s12.intoArray(acc, row + 2 * pixels + LANES, m1);
    }
    if (j + 3 < n) {
      s03.intoArray(acc, row + 3 * pixels, m0);
      s13.intoArray(acc, row + 3 * pixels + LANES, m1);
    }
  }

  /** Writes the tile's sums for the columns j..j+3 below {@code to} (not a multiple of NR at the end). */
  private static void store(int[] acc, int row, int j, int to, int[] bias, int d0, int d1, int d2, int d3) {
    acc[row + j] = bias[j] + d0;
    if (j + 1 < to) {
      acc[row + j + 1] = bias[j + 1] + d1;
    }
    if (j + 2 < to) {
      acc[row + j + 2] = bias[j + 2] + d2;
    }
    if (j + 3 < to) {
      acc[row + j + 3] = bias[j + 3] + d3;
    }
  }
}
