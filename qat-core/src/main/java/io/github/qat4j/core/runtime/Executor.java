package io.github.qat4j.core.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A {@link Graph} compiled for {@link Int8Kernels}: weights packed, zero-point corrections folded
 * into the int32 biases, quantization parameters moved to the signed domain, and every tensor
 * given a scratch slot that it shares with tensors whose lifetimes do not overlap. Stateless after
 * construction; each thread brings its own {@link Scratch}.
 *
 * <p>A convolution reads its input through a {@link ConvInput} (the image, or a copy of it padded and
 * split into its stride's phases, so the kernels see stride 1 only) and runs one tile of output
 * pixels at a time: wide rows of that plane or im2col of the tile, the GEMM, and the requantization
 * (with the ReLU in its clamp) straight into the output plane, so the tile's columns and
 * accumulators stay in L1 and sit in a per-thread arena, allocated once per thread. When a call
 * has fewer images than cores ({@code intraOp}), the tiles of a convolution and the column blocks of
 * a dense layer are spread over the ForkJoinPool the call runs in, so batch 1 uses every core.
 */
final class Executor {

    /** Scratch bytes per thread that the batch chunk is sized to: a few L2s, not the heap. */
    private static final long CHUNK_BUDGET = 16L << 20;
    /** Images per chunk at most: enough rows for the GEMM's register tiles to amortize. */
    static final int MAX_CHUNK = 64;
    /** im2col bytes per tile: with the tile's accumulators, inside a 32-48 KiB L1. */
    private static final int TILE_BYTES = 16 * 1024;
    /** Accumulators of a tile of a {@link #wide} convolution: 128 KiB, inside a 0.5-1 MiB L2. */
    private static final int WIDE_ACC_INTS = 32 * 1024;
    /**
     * Multiply-accumulates below which an op is not split over threads (about 100 µs on one core).
     * Measured on the project's idle 2-vCPU guest at batch 1, alternating JVMs: with 2^20, which split
     * LeNet-5's conv2 and ResNet-8's 3x3 convolutions (1.2 to 2.4 M MACs, 25 to 60 µs), both models
     * ran 1.2 to 1.35 times slower than with none of them split (BENCHMARKS.md, section 11); waking a
     * parked pool thread for each op costs about as much as the half of the op it takes over.
     */
    static final long MIN_PARALLEL_MACS = 1L << 22;

    private final Graph graph;
    private final Int8Kernels kernels;
    private final int cores;
    private final long minParallelMacs;
    private final Step[] steps;
    private final int[] slotOf;
    private final int[] slotBytes;
    private final int chunk;
    private final int maxDepthwiseAcc;
    private final int maxDenseN;
    private final int outputSize;
    /** For a dequantizing last op: the scale of each output value of one image, else null. */
    private final float[] outputScale;

    private final int tileColsBytes;
    private final int tileAccInts;
    private final int maxPlaneBytes;
    /** The per-thread tile arena, sized for the largest tile of any convolution of this graph. */
    private final ThreadLocal<Tile> tiles = ThreadLocal.withInitial(Tile::new);

    private final int maxDynamicN;

    /** Per-thread buffers for up to {@code images} inputs at a time; never resized. */
    static final class Scratch {
        final int images;
        final byte[][] slots;
        final int[] acc;
        /** The {@link ConvInput} copy of one image for a convolution that needs one. */
        final byte[] plane;
        /** A dequantizing last op's int32 outputs, {@code images} rows of the output's size. */
        final int[] outputAcc;
        /** Per tensor, the run-time scale and zero point of each image of a dynamic tensor (else null). */
        final float[][] dynamicScale;

        final int[][] dynamicZero;
        /** The float outputs of a dynamic dense op before they are quantized (the logits when it is last). */
        final float[] real;

        private Scratch(Executor e, int images) {
            this.images = images;
            slots = new byte[e.slotBytes.length][];
            for (int i = 0; i < slots.length; i++) {
                slots[i] = new byte[e.slotBytes[i] * images + Int8Kernels.ROW_SLACK];
            }
            acc = new int[Math.max(e.maxDepthwiseAcc, e.maxDenseN * images)];
            plane = new byte[e.maxPlaneBytes > 0 ? e.maxPlaneBytes + Int8Kernels.ROW_SLACK : 0];
            outputAcc = new int[e.graph.output().quantization() == null ? e.outputSize * images : 0];
            List<TensorInfo> tensors = e.graph.tensors();
            dynamicScale = new float[tensors.size()][];
            dynamicZero = new int[tensors.size()][];
            for (int t = 0; t < tensors.size(); t++) {
                if (tensors.get(t).dynamic()) {
                    dynamicScale[t] = new float[images];
                    dynamicZero[t] = new int[images];
                }
            }
            real = new float[e.maxDynamicN * images];
        }
    }

    /** One convolution tile's im2col columns and accumulators. */
    private final class Tile {
        final byte[] cols = new byte[tileColsBytes + Int8Kernels.ROW_SLACK];
        final int[] acc = new int[tileAccInts];
    }

    private interface Step {
        void run(Scratch s, int images, boolean intraOp);
    }

    /** A piece of an op's work: task {@code t} of a split. */
    private interface Task {
        void run(int t);
    }

    /**
     * {@code cores}: the threads a call may use, which sizes the splits of one image's ops; ops of
     * fewer than {@code minParallelMacs} multiply-accumulates are not split.
     */
    Executor(Graph graph, Int8Kernels kernels, int cores, long minParallelMacs) {
        this.graph = graph;
        this.kernels = kernels;
        this.cores = cores;
        this.minParallelMacs = minParallelMacs;
        List<TensorInfo> tensors = graph.tensors();
        List<Op> ops = graph.ops();
        slotOf = new int[tensors.size()];
        slotBytes = assignSlots(tensors, ops, slotOf);
        long perImage = 0;
        for (int b : slotBytes) {
            perImage += b;
        }
        long depthwiseAcc = 0;
        long denseN = 0;
        int colsBytes = 0;
        int accInts = 0;
        int planeBytes = 0;
        long dynamicN = 0;
        for (int i = 0; i < ops.size(); i++) {
            TensorInfo out = tensors.get(i + 1);
            if (ops.get(i) instanceof Op.Conv2D c && c.depthwise()) {
                depthwiseAcc = Math.max(depthwiseAcc, (long) out.dim(1) * out.dim(2) * c.outChannels());
            } else if (ops.get(i) instanceof Op.Conv2D c) {
                ConvGeometry g = c.geometry(
                        tensors.get(c.input()).dim(1), tensors.get(c.input()).dim(2));
                ConvInput input = new ConvInput(g);
                int n = c.outChannels();
                planeBytes = Math.max(planeBytes, input.bytes());
                if (wide(g, input)) {
                    accInts = Math.max(
                            accInts, kernels.pixelStride(wideTileRows(g, input, n, false) * input.planeW()) * n);
                } else {
                    int k = input.taps.length;
                    int tile = tilePixels(out.dim(1) * out.dim(2), k);
                    colsBytes = Math.max(colsBytes, kernels.pixelStride(tile) * k);
                    accInts = Math.max(accInts, kernels.pixelStride(tile) * n);
                }
            } else if (ops.get(i) instanceof Op.Dense) {
                denseN = Math.max(denseN, out.size());
            } else if (ops.get(i) instanceof Op.DynamicDense) {
                denseN = Math.max(denseN, out.size());
                dynamicN = Math.max(dynamicN, out.size());
            }
        }
        tileColsBytes = colsBytes;
        tileAccInts = accInts;
        maxPlaneBytes = planeBytes;
        outputSize = graph.output().size();
        outputScale = graph.output().logits() ? dequantizationScales(ops.get(ops.size() - 1), graph.output()) : null;
        perImage += 4 * (denseN + dynamicN + outputSize);
        chunk = (int) Math.max(1, Math.min(MAX_CHUNK, (CHUNK_BUDGET - 4 * depthwiseAcc) / perImage));
        maxDepthwiseAcc = (int) depthwiseAcc;
        maxDenseN = (int) denseN;
        maxDynamicN = (int) dynamicN;
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

    /**
     * Runs ops {@code 0..lastOp} on {@code images} inputs already in tensor 0; with {@code intraOp}
     * the large ops are split over the current ForkJoinPool (or the common pool).
     */
    void run(Scratch s, int images, int lastOp, boolean intraOp) {
        for (int i = 0; i <= lastOp; i++) {
            steps[i].run(s, images, intraOp);
        }
    }

    /** Runs op {@code op} alone on one image, its inputs already computed in {@code s}. */
    void step(Scratch s, int op, boolean intraOp) {
        steps[op].run(s, 1, intraOp);
    }

    /** Whether a call on {@code images} inputs at once should split its ops over threads. */
    boolean intraOp(int images) {
        return images < cores;
    }

    /**
     * Runs tasks {@code 0..count-1}, over the pool when {@code parallel}, else in this thread. A
     * parallel stream's forEach waits through {@code CountedCompleter.helpComplete}, which runs only
     * tasks of the same stream, so a thread waiting here never starts another predict on the
     * scratch it is using (a caller's parallel stream of predicts included; Int8ModelTest checks it).
     */
    private static void forEach(int count, boolean parallel, Task task) {
        if (parallel && count > 1) {
            IntStream.range(0, count).parallel().forEach(task::run);
        } else {
            for (int t = 0; t < count; t++) {
                task.run(t);
            }
        }
    }

    /** Pixels per convolution tile: a multiple of the kernels' pixel block, columns inside {@link #TILE_BYTES}. */
    private int tilePixels(int pixels, int k) {
        int block = kernels.pixelStride(1);
        int inCache = Math.max(block, TILE_BYTES / k / block * block);
        // At least two tiles per core, so one image splits evenly.
        int perCore = (pixels + 2 * cores - 1) / (2 * cores);
        int split = (perCore + block - 1) / block * block;
        return Math.min(inCache, split);
    }

    /**
     * Whether a convolution computes "wide" rows of its {@link ConvInput} plane instead of gathering
     * im2col columns: output pixel {@code (oy, ox)} is then the plane's pixel {@code oy * planeW +
     * ox}, and the {@code planeW - outW} pixels between two output rows are computed and thrown away,
     * rounded up to the kernels' pixel block. Taken when at least 60% of what they compute is output:
     * every convolution of ResNet-8 and LeNet-5 (their 8x8 outputs are 67% of a 10- or 12-pixel-wide
     * plane rounded to 512-bit blocks; wide rows took ResNet-8's 8x8 stage from 80-100 to 70 µs per
     * image against im2col's copies of 8-byte runs, and left LeNet's conv2 as it was), not small
     * outputs of wide planes (3x3 of a 6x6 plane, im2col then).
     */
    private boolean wide(ConvGeometry g, ConvInput input) {
        long computed =
                kernels.pixelStride((int) Math.min(Integer.MAX_VALUE / 2, (g.outH() - 1L) * input.planeW() + g.outW()));
        return 5L * g.outPlane() >= 3 * computed;
    }

    /**
     * Output rows per tile of a {@link #wide} convolution: two tiles per core when one image is
     * split over the pool ({@code split}), else as many as keep the accumulators inside {@link
     * #WIDE_ACC_INTS}, since every tile rounds its pixels up to the kernels' block.
     */
    private int wideTileRows(ConvGeometry g, ConvInput input, int n, boolean split) {
        int perCore = (g.outH() + 2 * cores - 1) / (2 * cores);
        return Math.max(1, Math.min(split ? perCore : g.outH(), WIDE_ACC_INTS / (n * input.planeW())));
    }

    /**
     * A convolution, image by image: the copy of its input ({@link ConvInput}) in this thread's
     * scratch when it needs one, then tiles, each in the per-thread arena: whole output rows computed
     * as {@link #wide} rows of the plane and requantized row by row, or output pixels gathered by
     * im2col, multiplied and requantized straight into the output plane.
     */
    private Step conv(
            ConvGeometry g,
            int n,
            PackedWeights w,
            OutputStage stage,
            byte pad,
            int src,
            int inSize,
            int dst,
            int outSize,
            boolean parallel) {
        ConvInput input = new ConvInput(g);
        int outH = g.outH();
        int outW = g.outW();
        int pixels = g.outPlane();
        int planeW = input.planeW();
        boolean wide = wide(g, input);
        int splitRows = wideTileRows(g, input, n, true);
        int wholeRows = wideTileRows(g, input, n, false);
        int tile = tilePixels(pixels, input.taps.length);
        int stride = kernels.pixelStride(tile);
        int[] columns = new int[input.taps.length];
        for (int kk = 0; kk < columns.length; kk++) {
            columns[kk] = kk * stride;
        }
        return (s, images, intraOp) -> {
            boolean split = intraOp && parallel;
            for (int b = 0; b < images; b++) {
                byte[] plane = input.copied() ? s.plane : s.slots[src];
                int base = input.copied() ? 0 : b * inSize;
                if (input.copied()) {
                    input.copy(s.slots[src], b * inSize, pad, s.plane);
                }
                int out = b * outSize;
                if (wide) {
                    int rows = split ? splitRows : wholeRows;
                    forEach((outH + rows - 1) / rows, split, t -> {
                        int oy0 = t * rows;
                        int tileRows = Math.min(rows, outH - oy0);
                        int count = (tileRows - 1) * planeW + outW;
                        Tile buffers = tiles.get();
                        kernels.convGemm(plane, base + oy0 * planeW, input.taps, count, w, stage.bias, buffers.acc);
                        for (int r = 0; r < tileRows; r++) {
                            stage.apply(
                                    s,
                                    buffers.acc,
                                    r * planeW,
                                    kernels.pixelStride(count),
                                    n,
                                    outW,
                                    true,
                                    s.slots[dst],
                                    out + (oy0 + r) * outW,
                                    pixels);
                        }
                    });
                } else {
                    forEach((pixels + tile - 1) / tile, split, t -> {
                        int first = t * tile;
                        int count = Math.min(tile, pixels - first);
                        Tile buffers = tiles.get();
                        input.im2col(plane, base, first, count, buffers.cols, stride);
                        kernels.convGemm(buffers.cols, 0, columns, count, w, stage.bias, buffers.acc);
                        stage.apply(
                                s,
                                buffers.acc,
                                0,
                                kernels.pixelStride(count),
                                n,
                                count,
                                true,
                                s.slots[dst],
                                out + first,
                                pixels);
                    });
                }
            }
        };
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
            int n = d.outFeatures();
            PackedWeights w = kernels.packWeights(d.weights(), n, d.inFeatures());
            // Column blocks: two per core, each a multiple of COLUMN_BLOCK.
            int blockColumns = Math.max(
                    Int8Kernels.COLUMN_BLOCK,
                    ((n + 2 * cores - 1) / (2 * cores) + Int8Kernels.COLUMN_BLOCK - 1)
                            / Int8Kernels.COLUMN_BLOCK
                            * Int8Kernels.COLUMN_BLOCK);
            int blocks = (n + blockColumns - 1) / blockColumns;
            long macs = (long) n * d.inFeatures();
            return (s, images, intraOp) -> {
                forEach(
                        blocks,
                        intraOp && macs * images >= minParallelMacs,
                        t -> kernels.gemm(
                                s.slots[src],
                                0,
                                images,
                                w,
                                t * blockColumns,
                                Math.min(n, (t + 1) * blockColumns),
                                stage.bias,
                                s.acc));
                stage.apply(s, s.acc, 0, n, images, n, false, s.slots[dst], 0, n);
            };
        }
        if (op instanceof Op.DynamicDense d) {
            DynamicQuantization.Dense dense = new DynamicQuantization.Dense(d, kernels);
            boolean last = index == graph.ops().size() - 1;
            int t = in[0];
            return (s, images, intraOp) -> dense.run(
                    images,
                    s.slots[src],
                    s.dynamicScale[t],
                    s.dynamicZero[t],
                    last ? s.outputAcc : s.acc,
                    s.real,
                    last ? null : s.slots[dst],
                    s.dynamicScale[index + 1],
                    s.dynamicZero[index + 1]);
        }
        if (op instanceof Op.Conv2D c) {
            ConvGeometry g = c.geometry(x.dim(1), x.dim(2));
            int pixels = g.outPlane();
            int n = c.outChannels();
            int k = c.weights().length / n;
            OutputStage stage = new OutputStage(c.output(), foldBias(c.bias(), c.weights(), k, x));
            byte pad = (byte) (x.quantization().zeroPoint() - 128);
            if (c.depthwise()) {
                int multiplier = n / c.inChannels();
                byte[] w = c.weights().clone();
                return (s, images, intraOp) -> {
                    for (int b = 0; b < images; b++) {
                        kernels.depthwiseConv(s.slots[src], b * inSize, g, multiplier, w, stage.bias, pad, s.acc);
                        stage.apply(s, s.acc, 0, pixels, n, pixels, true, s.slots[dst], b * outSize, pixels);
                    }
                };
            }
            PackedWeights w = kernels.packConvWeights(c.weights(), n, k);
            return conv(g, n, w, stage, pad, src, inSize, dst, outSize, (long) pixels * n * k >= minParallelMacs);
        }
        if (op instanceof Op.Pool p) {
            ConvGeometry g = p.geometry(x.dim(0), x.dim(1), x.dim(2));
            Int8Kernels.AverageParams average = averageParams(x, p.averaged());
            return (s, images, intraOp) -> {
                for (int b = 0; b < images; b++) {
                    if (p.average()) {
                        kernels.avgPool(s.slots[src], b * inSize, g, average, s.slots[dst], b * outSize);
                    } else {
                        kernels.maxPool(s.slots[src], b * inSize, g, s.slots[dst], b * outSize);
                    }
                }
            };
        }
        if (op instanceof Op.GlobalAvgPool p) {
            int plane = x.dim(1) * x.dim(2);
            Int8Kernels.AverageParams average = averageParams(x, p.averaged());
            return (s, images, intraOp) ->
                    kernels.globalAvgPool(s.slots[src], 0, images * x.dim(0), plane, average, s.slots[dst], 0);
        }
        if (op instanceof Op.Add a) {
            int src2 = slotOf[in[1]];
            Int8Kernels.AddParams params = new Int8Kernels.AddParams(
                    a.leftShift(),
                    128 - x.quantization().zeroPoint(),
                    a.input1Multiplier(),
                    a.input1Shift(),
                    128 - tensors.get(in[1]).quantization().zeroPoint(),
                    a.input2Multiplier(),
                    a.input2Shift(),
                    a.quantization().zeroPoint() - 128,
                    a.outputMultiplier(),
                    a.outputShift(),
                    a.quantizedActivationMin() - 128,
                    a.quantizedActivationMax() - 128);
            return (s, images, intraOp) ->
                    kernels.add(s.slots[src], 0, s.slots[src2], 0, images * outSize, params, s.slots[dst], 0);
        }
        if (x.dynamic()) {
            int t = in[0];
            return (s, images, intraOp) -> {
                System.arraycopy(s.slots[src], 0, s.slots[dst], 0, images * outSize);
                System.arraycopy(s.dynamicScale[t], 0, s.dynamicScale[index + 1], 0, images);
                System.arraycopy(s.dynamicZero[t], 0, s.dynamicZero[index + 1], 0, images);
            };
        }
        return (s, images, intraOp) -> System.arraycopy(s.slots[src], 0, s.slots[dst], 0, images * outSize);
    }

    /** The kernel parameters of a requantized average of {@code input}, or null for TFLite's rounding. */
    static Int8Kernels.AverageParams averageParams(TensorInfo input, Op.Averaged a) {
        return a == null
                ? null
                : new Int8Kernels.AverageParams(
                        input.quantization().zeroPoint(),
                        a.multiplier(),
                        a.shift(),
                        a.quantization().zeroPoint(),
                        a.quantization().qmax());
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

    /** Requantize to int8, or keep the int32 outputs of a dequantizing last op for {@link #dequantize}. */
    private final class OutputStage {
        final int[] bias;
        final Op.Requantized requantized;

        OutputStage(Op.Output output, int[] bias) {
            this.bias = bias;
            this.requantized = output instanceof Op.Requantized r ? r : null;
        }

        /**
         * Row {@code i} of the output's {@code [rows][cols]}, from {@code acc[accOffset + i *
         * accRowStride]} on, lands at {@code outOffset + i * outRowStride}. The channel is the row when {@code channelPerRow} (a convolution's {@code
         * [channel][pixel]}), else the column.
         */
        void apply(
                Scratch s,
                int[] acc,
                int accOffset,
                int accRowStride,
                int rows,
                int cols,
                boolean channelPerRow,
                byte[] out,
                int outOffset,
                int outRowStride) {
            if (requantized != null) {
                Op.Requantized r = requantized;
                kernels.requantize(
                        acc,
                        accOffset,
                        accRowStride,
                        rows,
                        cols,
                        channelPerRow,
                        r.outputMultiplier(),
                        r.outputShift(),
                        r.outputBias(),
                        r.quantization().zeroPoint() - 128,
                        r.quantizedActivationMin() - 128,
                        r.quantizedActivationMax() - 128,
                        out,
                        outOffset,
                        outRowStride);
                return;
            }
            // outOffset counts bytes of the int8 tensor; outputAcc has the same layout in ints.
            for (int i = 0; i < rows; i++) {
                System.arraycopy(acc, accOffset + i * accRowStride, s.outputAcc, outOffset + i * outRowStride, cols);
            }
        }
    }

    /** {@code acc * s_in * s_w[c]} for each value of one image of a dequantizing last op, NCHW order. */
    private static float[] dequantizationScales(Op last, TensorInfo output) {
        if (last instanceof Op.Dense d) {
            return ((Op.Dequantized) d.output()).outputScale().clone();
        }
        float[] perChannel = ((Op.Dequantized) ((Op.Conv2D) last).output()).outputScale();
        int plane = output.size() / perChannel.length;
        float[] scales = new float[output.size()];
        for (int i = 0; i < scales.length; i++) {
            scales[i] = perChannel[i / plane];
        }
        return scales;
    }

    /**
     * The float logits of the last run's {@code images} inputs of a float-output last op (dequantizing
     * or dynamic), into {@code out}.
     */
    void dequantize(Scratch s, int images, float[] out, int offset) {
        if (outputScale == null) {
            System.arraycopy(s.real, 0, out, offset, images * outputSize);
            return;
        }
        for (int i = 0; i < images * outputSize; i++) {
            out[offset + i] = s.outputAcc[i] * outputScale[i % outputSize];
        }
    }

    /**
     * The int32 accumulators of a float-output last op (dequantizing or dynamic) for image 0 of the
     * last run, in NCHW order.
     */
    int[] lastAccumulators(Scratch s) {
        return Arrays.copyOf(s.outputAcc, outputSize);
    }
}
