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
 * Max pooling without padding (every window inside the plane, LeNet's) runs plain loops with no
 * bounds tests, the 2x2 window at stride 2 written out; the other pools keep the reference loops of
 * {@link ScalarInt8Kernels}.
 *
 * <p>One rule keeps these kernels at full speed whatever else the JVM runs: a vector that crosses a
 * loop's back edge or a method boundary (an accumulator, a parameter, a return value) is only ever
 * the argument of a Vector API call, never its receiver; the receiver is a vector made in the same
 * block from a constant species ({@code IntVector.zero(INT).add(v)} where nothing else fits). C2
 * types such a value by its declared class, IntVector, so a call on it is dispatched through the
 * receiver profile that all of the JVM's code shares in the JDK's vector classes; once any code has
 * used another shape of vector (another library, a JIT warm-up path), that call stays virtual, the
 * vectors are boxed, and the model ran 35 to 140 times slower for the JVM's life. As an argument, the
 * value is checked against the receiver's exact class, which C2 turns into a type it can unbox.
 * {@code qat bench --other-vector-shapes} measures the kernels in such a JVM (BENCHMARKS.md, section 11).
 * On JDK 17 that leaves ResNet-8 at about half speed there, and {@code -XX:TypeProfileLevel=222}
 * (call-site type profiles, which {@code ./qat} passes) brings it back to full speed; JDK 25 needs neither.
 */
final class PanamaInt8Kernels extends ScalarInt8Kernels {

    private static final VectorSpecies<Integer> INT = IntVector.SPECIES_PREFERRED;
    /**
     * As many bytes as INT has lanes: one B2I convert fills an int vector. Null below 256-bit int
     * vectors (no byte species is narrower than 64 bits), where {@link #unusable} keeps these kernels
     * out: the class must still initialise there to answer it.
     */
    private static final VectorSpecies<Byte> BYTE = INT.vectorBitSize() >= 256
            ? VectorSpecies.of(byte.class, VectorShape.forBitSize(INT.length() * Byte.SIZE))
            : null;

    private static final int LANES = INT.length();
    /** Weight rows per register tile of {@link #gemm}. */
    private static final int NR = 4;
    /**
     * Output channels per register tile of {@link #convGemm}: eight where there are 32 vector
     * registers (AVX-512), four where there are 16 (AVX2).
     */
    private static final int CONV_NR = INT.vectorBitSize() >= 512 ? 8 : 4;
    /** Requantization works in 64-bit lanes, as TFLite's MultiplyByQuantizedMultiplier does. */
    private static final VectorSpecies<Long> LONG = LongVector.SPECIES_PREFERRED;
    /** As many bytes as LONG has lanes; no byte species is narrower than 64 bits. */
    private static final VectorSpecies<Byte> BYTE_OF_LONG = LONG.length() * Byte.SIZE >= 64
            ? VectorSpecies.of(byte.class, VectorShape.forBitSize(LONG.length() * Byte.SIZE))
            : null;
    /** Left-hand side bytes kept hot per block of rows, well inside a 32-48 KiB L1. */
    private static final int A_BLOCK_BYTES = 16 * 1024;
    /** Values per block of {@link #add}: its three passes over a block's sums stay in L1. */
    private static final int ADD_BLOCK = 512;
    /**
     * Each thread's block of sums for {@link #add}, int32 values in longs (LONG loads and stores them
     * with no int vector of another shape), allocated once per thread.
     */
    private static final ThreadLocal<long[]> ADD_SUMS = ThreadLocal.withInitial(() -> new long[ADD_BLOCK]);

    /**
     * Why these kernels do not run on this CPU, or null: they need int vectors of at least 256 bits
     * (B2I from a 64-bit byte vector is the narrowest that exists; below that scalar is as good).
     */
    static String unusable() {
        return INT.vectorBitSize() < 256 ? "preferred vector size is " + INT.vectorBitSize() + " bits" : null;
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
        return new PackedWeights(packed, null, n, k);
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
    private static void tile2x4(
            byte[] a,
            int a0,
            int a1,
            byte[] w,
            int wOffset,
            int kp,
            int[] bias,
            int j,
            int to,
            int n,
            int[] acc,
            int c0) {
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
            s00 = x0.mul(y).add(s00);
            s10 = x1.mul(y).add(s10);
            y = (IntVector) ByteVector.fromArray(BYTE, w, wo + LANES).convertShape(VectorOperators.B2I, INT, 0);
            s01 = x0.mul(y).add(s01);
            s11 = x1.mul(y).add(s11);
            y = (IntVector) ByteVector.fromArray(BYTE, w, wo + 2 * LANES).convertShape(VectorOperators.B2I, INT, 0);
            s02 = x0.mul(y).add(s02);
            s12 = x1.mul(y).add(s12);
            y = (IntVector) ByteVector.fromArray(BYTE, w, wo + 3 * LANES).convertShape(VectorOperators.B2I, INT, 0);
            s03 = x0.mul(y).add(s03);
            s13 = x1.mul(y).add(s13);
        }
        store(acc, c0, j, to, bias, sum(s00), sum(s01), sum(s02), sum(s03));
        store(acc, c0 + n, j, to, bias, sum(s10), sum(s11), sum(s12), sum(s13));
    }

    /** The odd last row of A: tile2x4 with one row. */
    private static void tile1x4(
            byte[] a, int a0, byte[] w, int wOffset, int kp, int[] bias, int j, int to, int[] acc, int c0) {
        IntVector s0 = IntVector.zero(INT);
        IntVector s1 = IntVector.zero(INT);
        IntVector s2 = IntVector.zero(INT);
        IntVector s3 = IntVector.zero(INT);
        for (int kk = 0, wo = wOffset; kk < kp; kk += LANES, wo += NR * LANES) {
            IntVector x = (IntVector) ByteVector.fromArray(BYTE, a, a0 + kk).convertShape(VectorOperators.B2I, INT, 0);
            s0 = x.mul((IntVector) ByteVector.fromArray(BYTE, w, wo).convertShape(VectorOperators.B2I, INT, 0))
                    .add(s0);
            s1 = x.mul((IntVector) ByteVector.fromArray(BYTE, w, wo + LANES).convertShape(VectorOperators.B2I, INT, 0))
                    .add(s1);
            s2 = x.mul((IntVector)
                            ByteVector.fromArray(BYTE, w, wo + 2 * LANES).convertShape(VectorOperators.B2I, INT, 0))
                    .add(s2);
            s3 = x.mul((IntVector)
                            ByteVector.fromArray(BYTE, w, wo + 3 * LANES).convertShape(VectorOperators.B2I, INT, 0))
                    .add(s3);
        }
        store(acc, c0, j, to, bias, sum(s0), sum(s1), sum(s2), sum(s3));
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
    public void requantize(
            int[] acc,
            int accOffset,
            int accRowStride,
            int rows,
            int cols,
            boolean channelPerRow,
            int[] outputMultiplier,
            int[] outputShift,
            long[] outputBias,
            int outputOffset,
            int quantizedActivationMin,
            int quantizedActivationMax,
            byte[] out,
            int outOffset,
            int outRowStride) {
        if (!channelPerRow || BYTE_OF_LONG == null) {
            super.requantize(
                    acc,
                    accOffset,
                    accRowStride,
                    rows,
                    cols,
                    channelPerRow,
                    outputMultiplier,
                    outputShift,
                    outputBias,
                    outputOffset,
                    quantizedActivationMin,
                    quantizedActivationMax,
                    out,
                    outOffset,
                    outRowStride);
            return;
        }
        for (int i = 0; i < rows; i++) {
            requantizeChannel(
                    acc,
                    accOffset + i * accRowStride,
                    cols,
                    outputMultiplier[i],
                    outputShift[i],
                    outputBias[i],
                    outputOffset,
                    quantizedActivationMin,
                    quantizedActivationMax,
                    out,
                    outOffset + i * outRowStride);
        }
    }

    /**
     * One channel's {@code count} values from {@code acc[offset]} on, in LONG-sized steps and a scalar
     * tail, into {@code out[outOffset]} on. Each step loads a whole INT vector and widens its lower
     * half, so the loop stops where that load would pass the end of {@code acc}. A method of its own so
     * that each caller stays small enough for C2 to inline every Vector API call: in {@link #add}, with
     * this loop written inline, the I2L conversion ran in Java (AbstractVector.convert0, 4% of
     * ResNet-8's time in a JFR profile).
     */
    private static void requantizeChannel(
            int[] acc,
            int offset,
            int count,
            int multiplier,
            int shift,
            long bias,
            int outputOffset,
            int quantizedActivationMin,
            int quantizedActivationMax,
            byte[] out,
            int outOffset) {
        int lanes = LONG.length();
        int j = 0;
        for (; j + lanes <= count && offset + j + LANES <= acc.length; j += lanes) {
            LongVector x =
                    (LongVector) IntVector.fromArray(INT, acc, offset + j).convertShape(VectorOperators.I2L, LONG, 0);
            requantizeInto(
                    x,
                    multiplier,
                    shift,
                    bias,
                    outputOffset,
                    quantizedActivationMin,
                    quantizedActivationMax,
                    out,
                    outOffset + j);
        }
        for (; j < count; j++) {
            long v = (long) Requantization.multiplyByQuantizedMultiplier(acc[offset + j], multiplier, shift, bias)
                    + outputOffset;
            out[outOffset + j] = (byte) Math.max(quantizedActivationMin, Math.min(quantizedActivationMax, v));
        }
    }

    /** {@link #requantizeChannel} of the int32 sums of {@link #add}, {@code count} a multiple of LONG's lanes. */
    private static void requantizeSums(
            long[] sums,
            int count,
            int multiplier,
            int shift,
            int outputOffset,
            int quantizedActivationMin,
            int quantizedActivationMax,
            byte[] out,
            int outOffset) {
        for (int j = 0; j < count; j += LONG.length()) {
            requantizeInto(
                    LongVector.fromArray(LONG, sums, j),
                    multiplier,
                    shift,
                    0,
                    outputOffset,
                    quantizedActivationMin,
                    quantizedActivationMax,
                    out,
                    outOffset + j);
        }
    }

    /** One LONG vector of int32 sums requantized, offset, clamped and stored as bytes at {@code out[at]}. */
    private static void requantizeInto(
            LongVector x,
            int multiplier,
            int shift,
            long bias,
            int outputOffset,
            int quantizedActivationMin,
            int quantizedActivationMax,
            byte[] out,
            int at) {
        LongVector v = LongVector.broadcast(LONG, outputOffset)
                .add(multiplyByQuantizedMultiplier(x, multiplier, shift, bias))
                .max(quantizedActivationMin)
                .min(quantizedActivationMax);
        ((ByteVector) v.convertShape(VectorOperators.L2B, BYTE_OF_LONG, 0)).intoArray(out, at);
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
    public void add(
            byte[] in1, int in1Offset, byte[] in2, int in2Offset, int size, AddParams p, byte[] out, int outOffset) {
        int i = 0;
        if (BYTE_OF_LONG != null) {
            int lanes = LONG.length();
            long[] sums = ADD_SUMS.get();
            for (int block; (block = Math.min(ADD_BLOCK, (size - i) / lanes * lanes)) > 0; i += block) {
                rescale(
                        in1,
                        in1Offset + i,
                        block,
                        p.input1Offset(),
                        p.leftShift(),
                        p.input1Multiplier(),
                        p.input1Shift(),
                        sums,
                        false);
                rescale(
                        in2,
                        in2Offset + i,
                        block,
                        p.input2Offset(),
                        p.leftShift(),
                        p.input2Multiplier(),
                        p.input2Shift(),
                        sums,
                        true);
                requantizeSums(
                        sums,
                        block,
                        p.outputMultiplier(),
                        p.outputShift(),
                        p.outputOffset(),
                        p.quantizedActivationMin(),
                        p.quantizedActivationMax(),
                        out,
                        outOffset + i);
            }
        }
        super.add(in1, in1Offset + i, in2, in2Offset + i, size - i, p, out, outOffset + i);
    }

    /**
     * {@code sums[j] = MultiplyByQuantizedMultiplier((int) ((in[j] + inputOffset) << leftShift),
     * multiplier, shift)} for {@code j < count} (a multiple of LONG's lanes), or that added to
     * {@code sums[j]} with int32 wrap-around when {@code accumulate}.
     */
    private static void rescale(
            byte[] in,
            int offset,
            int count,
            int inputOffset,
            int leftShift,
            int multiplier,
            int shift,
            long[] sums,
            boolean accumulate) {
        for (int j = 0; j < count; j += LONG.length()) {
            LongVector x = (LongVector)
                    ByteVector.fromArray(BYTE_OF_LONG, in, offset + j).convertShape(VectorOperators.B2L, LONG, 0);
            // (x + offset) << leftShift wrapped to int32 as Java's int shift wraps it, sign-extended back.
            LongVector shifted = x.add(inputOffset)
                    .lanewise(VectorOperators.LSHL, 32 + leftShift)
                    .lanewise(VectorOperators.ASHR, 32);
            LongVector scaled = multiplyByQuantizedMultiplier(shifted, multiplier, shift);
            // Plus the sums so far in int32, wrapped as Java's int addition wraps it, sign-extended back.
            LongVector base = accumulate ? LongVector.fromArray(LONG, sums, j) : LongVector.zero(LONG);
            LongVector.zero(LONG)
                    .add(base)
                    .add(scaled)
                    .lanewise(VectorOperators.LSHL, 32)
                    .lanewise(VectorOperators.ASHR, 32)
                    .intoArray(sums, j);
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
        LongVector product = LongVector.broadcast(LONG, multiplier).mul(x).add(bias);
        LongVector floor = product.lanewise(VectorOperators.ASHR, total);
        LongVector remainder = product.and((1L << total) - 1);
        VectorMask<Long> up = remainder.add(floor.and(1)).compare(VectorOperators.GT, 1L << (total - 1));
        return floor.add(LongVector.broadcast(LONG, 1), up)
                .max(Integer.MIN_VALUE)
                .min(Integer.MAX_VALUE);
    }

    /**
     * Windows wholly inside the plane when there is no padding (an output size rounds down), so no
     * tap needs a bounds test; LeNet-5's 2x2 window at stride 2 reads its two rows as pairs. Scalar:
     * LeNet's rows are 24 and 8 bytes, shorter than a vector (BENCHMARKS.md, section 9).
     */
    @Override
    public void maxPool(byte[] in, int inOffset, ConvGeometry g, byte[] out, int outOffset) {
        if (g.padTop() != 0 || g.padLeft() != 0 || g.padBottom() != 0 || g.padRight() != 0) {
            super.maxPool(in, inOffset, g, out, outOffset);
            return;
        }
        int outH = g.outH();
        int outW = g.outW();
        int inW = g.inW();
        boolean twoByTwo = g.kH() == 2
                && g.kW() == 2
                && g.strideH() == 2
                && g.strideW() == 2
                && g.dilationH() == 1
                && g.dilationW() == 1;
        int dst = outOffset;
        for (int c = 0; c < g.inChannels(); c++) {
            int plane = inOffset + c * g.inPlane();
            for (int oy = 0; oy < outH; oy++) {
                if (twoByTwo) {
                    int top = plane + 2 * oy * inW;
                    int bottom = top + inW;
                    for (int ox = 0; ox < outW; ox++) {
                        int x = 2 * ox;
                        int a = Math.max(in[top + x], in[top + x + 1]);
                        int b = Math.max(in[bottom + x], in[bottom + x + 1]);
                        out[dst++] = (byte) Math.max(a, b);
                    }
                    continue;
                }
                for (int ox = 0; ox < outW; ox++) {
                    int corner = plane + oy * g.strideH() * inW + ox * g.strideW();
                    int best = Byte.MIN_VALUE;
                    for (int ky = 0; ky < g.kH(); ky++) {
                        int row = corner + ky * g.dilationH() * inW;
                        for (int kx = 0; kx < g.kW(); kx++) {
                            best = Math.max(best, in[row + kx * g.dilationW()]);
                        }
                    }
                    out[dst++] = (byte) best;
                }
            }
        }
    }

    /** Two int vectors of pixels per register tile of {@link #convGemm}. */
    @Override
    public int pixelStride(int pixels) {
        return (pixels + 2 * LANES - 1) / (2 * LANES) * (2 * LANES);
    }

    /**
     * Blocks of {@link #CONV_NR} rows, k-major inside a block: the CONV_NR weights of one tap follow
     * each other, so {@link #convGemm} reads them strictly sequentially, widened to int32 so that each
     * is one broadcast load (a byte needs a sign extension and a move to a vector register first: the
     * tile's loop alone 1.1 to 1.7x faster at 256 and 512 bits on Zen 5). n is zero-padded to a multiple of
     * CONV_NR (the padded rows' results are never stored).
     */
    @Override
    public PackedWeights packConvWeights(byte[] weights, int n, int k) {
        checkWeights(weights, n, k);
        int blocks = (n + CONV_NR - 1) / CONV_NR;
        if ((long) blocks * CONV_NR * k > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("weights too large to pack: " + n + " x " + k);
        }
        int[] packed = new int[blocks * CONV_NR * k];
        for (int j = 0; j < n; j++) {
            for (int kk = 0; kk < k; kk++) {
                packed[(j / CONV_NR) * CONV_NR * k + kk * CONV_NR + j % CONV_NR] = weights[j * k + kk];
            }
        }
        return new PackedWeights(null, packed, n, k);
    }

    /**
     * Vectorized along pixels: a tile is two int vectors of pixels times {@link #CONV_NR} channels,
     * each tap adds a column slice times a broadcast weight, so no lane reductions are needed and the
     * sums land in {@code [channel][pixel]} order. A block of 2 * LANES pixel columns (k rows of them)
     * stays in L1 while every weight block passes. Rows of {@code acc} are {@link #pixelStride} long,
     * so every store is a whole vector (a masked store is not intrinsified on JDK 17). The channels of
     * a last, partial block go through {@link #convTile4} and {@link #convTile1}, so that no tile
     * branches on the channel count (a branch-free tile is also one that the class comment's rule
     * covers: its stores all go through one vector made in the epilogue; BENCHMARKS.md, sections 10
     * and 11).
     */
    @Override
    public void convGemm(
            byte[] src, int srcOffset, int[] tapOffset, int pixels, PackedWeights w, int[] bias, int[] acc) {
        int n = w.n();
        int k = w.k();
        int[] wd = w.ints();
        int stride = pixelStride(pixels);
        int full = n / CONV_NR * CONV_NR;
        for (int p = 0; p < pixels; p += 2 * LANES) {
            int from = srcOffset + p;
            for (int j = 0; j < full; j += CONV_NR) {
                if (CONV_NR == 8) {
                    convTile8(src, from, tapOffset, wd, j * k, k, bias, j, acc, j * stride + p, stride);
                } else {
                    convTile4(src, from, tapOffset, wd, j * k, CONV_NR, k, bias, j, acc, j * stride + p, stride);
                }
            }
            // The last block's weights are packed CONV_NR channels to a tap as the others are.
            int j = full;
            if (CONV_NR == 8 && j + 4 <= n) {
                convTile4(src, from, tapOffset, wd, full * k, CONV_NR, k, bias, j, acc, j * stride + p, stride);
                j += 4;
            }
            for (; j < n; j++) {
                convTile1(src, from, tapOffset, wd, full * k + j - full, CONV_NR, k, bias[j], acc, j * stride + p);
            }
        }
    }

    /**
     * Two pixel vectors times eight channels: 16 accumulators, 19 of AVX-512's 32 vector registers.
     * On Zen 5 (ResNet's 3x3 stages, the loop alone) 80 GMAC/s against 66 for {@link #convTile4}: a
     * broadcast and two loads per 16 multiplies instead of per 8. The stores are written out: passing
     * the vectors to a helper that the JIT does not inline makes it box them, which cost more than the
     * multiply-adds.
     */
    private static void convTile8(
            byte[] src,
            int srcOffset,
            int[] tapOffset,
            int[] w,
            int wOffset,
            int k,
            int[] bias,
            int j,
            int[] acc,
            int row,
            int stride) {
        IntVector s00 = IntVector.zero(INT);
        IntVector s01 = IntVector.zero(INT);
        IntVector s02 = IntVector.zero(INT);
        IntVector s03 = IntVector.zero(INT);
        IntVector s04 = IntVector.zero(INT);
        IntVector s05 = IntVector.zero(INT);
        IntVector s06 = IntVector.zero(INT);
        IntVector s07 = IntVector.zero(INT);
        IntVector s10 = s00;
        IntVector s11 = s01;
        IntVector s12 = s02;
        IntVector s13 = s03;
        IntVector s14 = s04;
        IntVector s15 = s05;
        IntVector s16 = s06;
        IntVector s17 = s07;
        for (int kk = 0, wo = wOffset; kk < k; kk++, wo += 8) {
            int c = srcOffset + tapOffset[kk];
            IntVector x0 = (IntVector) ByteVector.fromArray(BYTE, src, c).convertShape(VectorOperators.B2I, INT, 0);
            IntVector x1 =
                    (IntVector) ByteVector.fromArray(BYTE, src, c + LANES).convertShape(VectorOperators.B2I, INT, 0);
            IntVector y = IntVector.broadcast(INT, w[wo]);
            s00 = x0.mul(y).add(s00);
            s10 = x1.mul(y).add(s10);
            y = IntVector.broadcast(INT, w[wo + 1]);
            s01 = x0.mul(y).add(s01);
            s11 = x1.mul(y).add(s11);
            y = IntVector.broadcast(INT, w[wo + 2]);
            s02 = x0.mul(y).add(s02);
            s12 = x1.mul(y).add(s12);
            y = IntVector.broadcast(INT, w[wo + 3]);
            s03 = x0.mul(y).add(s03);
            s13 = x1.mul(y).add(s13);
            y = IntVector.broadcast(INT, w[wo + 4]);
            s04 = x0.mul(y).add(s04);
            s14 = x1.mul(y).add(s14);
            y = IntVector.broadcast(INT, w[wo + 5]);
            s05 = x0.mul(y).add(s05);
            s15 = x1.mul(y).add(s15);
            y = IntVector.broadcast(INT, w[wo + 6]);
            s06 = x0.mul(y).add(s06);
            s16 = x1.mul(y).add(s16);
            y = IntVector.broadcast(INT, w[wo + 7]);
            s07 = x0.mul(y).add(s07);
            s17 = x1.mul(y).add(s17);
        }
        IntVector.broadcast(INT, bias[j]).add(s00).intoArray(acc, row);
        IntVector.broadcast(INT, bias[j]).add(s10).intoArray(acc, row + LANES);
        IntVector.broadcast(INT, bias[j + 1]).add(s01).intoArray(acc, row + stride);
        IntVector.broadcast(INT, bias[j + 1]).add(s11).intoArray(acc, row + stride + LANES);
        IntVector.broadcast(INT, bias[j + 2]).add(s02).intoArray(acc, row + 2 * stride);
        IntVector.broadcast(INT, bias[j + 2]).add(s12).intoArray(acc, row + 2 * stride + LANES);
        IntVector.broadcast(INT, bias[j + 3]).add(s03).intoArray(acc, row + 3 * stride);
        IntVector.broadcast(INT, bias[j + 3]).add(s13).intoArray(acc, row + 3 * stride + LANES);
        IntVector.broadcast(INT, bias[j + 4]).add(s04).intoArray(acc, row + 4 * stride);
        IntVector.broadcast(INT, bias[j + 4]).add(s14).intoArray(acc, row + 4 * stride + LANES);
        IntVector.broadcast(INT, bias[j + 5]).add(s05).intoArray(acc, row + 5 * stride);
        IntVector.broadcast(INT, bias[j + 5]).add(s15).intoArray(acc, row + 5 * stride + LANES);
        IntVector.broadcast(INT, bias[j + 6]).add(s06).intoArray(acc, row + 6 * stride);
        IntVector.broadcast(INT, bias[j + 6]).add(s16).intoArray(acc, row + 6 * stride + LANES);
        IntVector.broadcast(INT, bias[j + 7]).add(s07).intoArray(acc, row + 7 * stride);
        IntVector.broadcast(INT, bias[j + 7]).add(s17).intoArray(acc, row + 7 * stride + LANES);
    }

    /**
     * {@link #convTile8} with four channels, whose weights are {@code wStride} ints apart from one tap
     * to the next: the whole tile for 16 vector registers (AVX2), where 16 accumulators spill (41
     * against 27 GMAC/s on the same loop at 256 bits), and half of a last, partial block of eight.
     */
    private static void convTile4(
            byte[] src,
            int srcOffset,
            int[] tapOffset,
            int[] w,
            int wOffset,
            int wStride,
            int k,
            int[] bias,
            int j,
            int[] acc,
            int row,
            int stride) {
        IntVector s00 = IntVector.zero(INT);
        IntVector s01 = IntVector.zero(INT);
        IntVector s02 = IntVector.zero(INT);
        IntVector s03 = IntVector.zero(INT);
        IntVector s10 = s00;
        IntVector s11 = s01;
        IntVector s12 = s02;
        IntVector s13 = s03;
        for (int kk = 0, wo = wOffset; kk < k; kk++, wo += wStride) {
            int c = srcOffset + tapOffset[kk];
            IntVector x0 = (IntVector) ByteVector.fromArray(BYTE, src, c).convertShape(VectorOperators.B2I, INT, 0);
            IntVector x1 =
                    (IntVector) ByteVector.fromArray(BYTE, src, c + LANES).convertShape(VectorOperators.B2I, INT, 0);
            IntVector y = IntVector.broadcast(INT, w[wo]);
            s00 = x0.mul(y).add(s00);
            s10 = x1.mul(y).add(s10);
            y = IntVector.broadcast(INT, w[wo + 1]);
            s01 = x0.mul(y).add(s01);
            s11 = x1.mul(y).add(s11);
            y = IntVector.broadcast(INT, w[wo + 2]);
            s02 = x0.mul(y).add(s02);
            s12 = x1.mul(y).add(s12);
            y = IntVector.broadcast(INT, w[wo + 3]);
            s03 = x0.mul(y).add(s03);
            s13 = x1.mul(y).add(s13);
        }
        IntVector.broadcast(INT, bias[j]).add(s00).intoArray(acc, row);
        IntVector.broadcast(INT, bias[j]).add(s10).intoArray(acc, row + LANES);
        IntVector.broadcast(INT, bias[j + 1]).add(s01).intoArray(acc, row + stride);
        IntVector.broadcast(INT, bias[j + 1]).add(s11).intoArray(acc, row + stride + LANES);
        IntVector.broadcast(INT, bias[j + 2]).add(s02).intoArray(acc, row + 2 * stride);
        IntVector.broadcast(INT, bias[j + 2]).add(s12).intoArray(acc, row + 2 * stride + LANES);
        IntVector.broadcast(INT, bias[j + 3]).add(s03).intoArray(acc, row + 3 * stride);
        IntVector.broadcast(INT, bias[j + 3]).add(s13).intoArray(acc, row + 3 * stride + LANES);
    }

    /** One channel of a last, partial block: two pixel vectors, its weights {@code wStride} apart. */
    private static void convTile1(
            byte[] src,
            int srcOffset,
            int[] tapOffset,
            int[] w,
            int wOffset,
            int wStride,
            int k,
            int bias,
            int[] acc,
            int row) {
        IntVector s0 = IntVector.zero(INT);
        IntVector s1 = s0;
        for (int kk = 0, wo = wOffset; kk < k; kk++, wo += wStride) {
            int c = srcOffset + tapOffset[kk];
            IntVector y = IntVector.broadcast(INT, w[wo]);
            s0 = ((IntVector) ByteVector.fromArray(BYTE, src, c).convertShape(VectorOperators.B2I, INT, 0))
                    .mul(y)
                    .add(s0);
            s1 = ((IntVector) ByteVector.fromArray(BYTE, src, c + LANES).convertShape(VectorOperators.B2I, INT, 0))
                    .mul(y)
                    .add(s1);
        }
        IntVector b = IntVector.broadcast(INT, bias);
        b.add(s0).intoArray(acc, row);
        b.add(s1).intoArray(acc, row + LANES);
    }

    /** The sum of the lanes of a vector that crossed a loop or a method boundary (class comment). */
    private static int sum(IntVector v) {
        return IntVector.zero(INT).add(v).reduceLanes(VectorOperators.ADD);
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
