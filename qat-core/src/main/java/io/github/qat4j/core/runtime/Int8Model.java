package io.github.qat4j.core.runtime;

import io.github.qat4j.core.quant.FakeQuant;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * An integer-only int8 model: the input is quantized once, every op runs on int8 activations
 * with int32 accumulators and fixed-point requantization (TFLite's arithmetic), and only the
 * output is turned back into floats (then softmax, when the model has one).
 *
 * <pre>{@code
 * Int8Model model = Int8Model.load(Path.of("lenet.q8"));
 * float[] image = new float[28 * 28];              // NCHW values of one input, here [1, 28, 28]
 * float[] probabilities = model.predict(image);
 * int best = model.topK(image, 1)[0];
 * }</pre>
 *
 * <p>Run with {@code --add-modules jdk.incubator.vector} for the Vector API kernels; without it the
 * scalar kernels compute the same integers, more slowly. On JDK 17, also with
 * {@code -XX:TypeProfileLevel=222} where other code in the JVM uses the Vector API: without it C2
 * can leave the kernels' vectors boxed, at up to half speed (BENCHMARKS.md, section 11). Instances are immutable and thread-safe;
 * each thread reuses its own scratch buffers (a second call that a thread runs in the middle of a
 * first, as a ForkJoinPool worker may while it waits, takes another), large batches are split across the cores by images,
 * and smaller ones (a single image too) by splitting each large op.
 */
public final class Int8Model {

    private final Graph graph;
    private final Int8Kernels kernels;
    private final Executor executor;
    private final int cores;
    private final long minParallelMacs;
    /** Per thread, the scratch buffers no call of that thread is using now. */
    private final ThreadLocal<ArrayDeque<Executor.Scratch>> free;

    Int8Model(Graph graph) {
        this(graph, Int8KernelsProvider.get());
    }

    Int8Model(Graph graph, Int8Kernels kernels) {
        this(graph, kernels, Runtime.getRuntime().availableProcessors(), Executor.MIN_PARALLEL_MACS);
    }

    /**
     * {@code cores}: how many threads one call is split for; {@code minParallelMacs}: the smallest op
     * that is split (tests force splits on any machine).
     */
    Int8Model(Graph graph, Int8Kernels kernels, int cores, long minParallelMacs) {
        this.graph = graph;
        this.kernels = kernels;
        this.cores = cores;
        this.minParallelMacs = minParallelMacs;
        this.executor = new Executor(graph, kernels, cores, minParallelMacs);
        this.free = ThreadLocal.withInitial(ArrayDeque::new);
    }

    /**
     * Bytes the model file stores for {@code count} weights of {@code bits} bits (2..8): packed densely,
     * {@code ceil(count * bits / 8)}. qat-core/README.md specifies it; a size budget for mixed widths
     * counts with it.
     */
    public static long weightBytes(int bits, long count) {
        if (bits < 2 || bits > 8) {
            throw new IllegalArgumentException("weight bits must be in [2, 8], got " + bits);
        }
        if (count < 0) {
            throw new IllegalArgumentException("weight count cannot be negative, got " + count);
        }
        return ModelFormat.packedBytes(bits, count);
    }

    /** Reads a model file; anything malformed is a {@link ModelFormatException}. */
    public static Int8Model load(Path path) throws IOException {
        long size = Files.size(path);
        if (size > Integer.MAX_VALUE - 8) {
            throw new ModelFormatException("file of " + size + " bytes is larger than any model", 0);
        }
        return new Int8Model(ModelFormat.read(Files.readAllBytes(path)));
    }

    /** Reads a model from the rest of {@code in} (not closed); see {@link #load(Path)}. */
    public static Int8Model load(InputStream in) throws IOException {
        return new Int8Model(ModelFormat.read(in.readAllBytes()));
    }

    /** A builder for a model whose input has {@code shape} ({@code [c, h, w]} or {@code [n]}) and quantization. */
    public static Int8ModelBuilder builder(int[] inputShape, TensorQuantization inputQuantization) {
        return new Int8ModelBuilder(new TensorInfo(inputShape, inputQuantization));
    }

    /**
     * A builder for a model whose input is dynamic: each image is quantized to {@code bits} with the
     * scale and zero point of its own range, at run time ({@link Int8ModelBuilder#dynamicDense}).
     */
    public static Int8ModelBuilder dynamicBuilder(int[] inputShape, int bits) {
        return new Int8ModelBuilder(TensorInfo.dynamic(inputShape, bits));
    }

    /**
     * This model on the scalar reference kernels, for comparing them with the Vector API ones in one
     * JVM: the same graph, the same outputs bit for bit, more slowly.
     */
    public Int8Model withScalarKernels() {
        return new Int8Model(graph, new ScalarInt8Kernels());
    }

    /** The kernels this model runs on: {@code "scalar"} or {@code "Vector API, ..."} with the vector size. */
    public String kernels() {
        return kernels.name();
    }

    Graph graphForTests() {
        return graph;
    }

    /** Writes the model in the format of qat-core/README.md. */
    public void save(Path path) throws IOException {
        Files.write(path, ModelFormat.write(graph));
    }

    /** Writes the model to {@code out} (not closed). */
    public void write(OutputStream out) throws IOException {
        out.write(ModelFormat.write(graph));
    }

    public int[] inputShape() {
        return graph.input().shape();
    }

    /** The input's quantization, or null for a dynamic input ({@link #dynamicBuilder}). */
    public TensorQuantization inputQuantization() {
        return graph.input().quantization();
    }

    /** How the float input is made from 8-bit pixels, as recorded in the file (qat-core/README.md). */
    public InputPreprocessing inputPreprocessing() {
        return graph.preprocessing();
    }

    /** This model recording {@code preprocessing} (its channels those of the input) for {@link #save}. */
    public Int8Model withInputPreprocessing(InputPreprocessing preprocessing) {
        return new Int8Model(
                new Graph(graph.input(), preprocessing, graph.ops(), graph.softmax()), kernels, cores, minParallelMacs);
    }

    public int[] outputShape() {
        return graph.output().shape();
    }

    /** Op names in execution order; op {@code i} writes tensor {@code i + 1}. */
    public List<String> opNames() {
        List<String> names = new ArrayList<>();
        for (Op op : graph.ops()) {
            names.add(op.name());
        }
        return List.copyOf(names);
    }

    /** What each op is, in execution order; derived from the graph on each call. */
    public List<OpInfo> ops() {
        List<OpInfo> ops = new ArrayList<>();
        for (int i = 0; i < graph.ops().size(); i++) {
            ops.add(OpInfo.of(graph, i));
        }
        return List.copyOf(ops);
    }

    /** Whether a softmax (in float) follows the last op. */
    public boolean softmax() {
        return graph.softmax();
    }

    /** Output (probabilities after softmax, else logits or dequantized values) for one input in NCHW order. */
    public float[] predict(float[] input) {
        return predictBatch(input, 1);
    }

    /** One output row per input row. */
    public float[][] predict(float[][] batch) {
        int size = graph.input().size();
        for (int b = 0; b < batch.length; b++) {
            if (batch[b] == null || batch[b].length != size) {
                throw new IllegalArgumentException("batch[" + b + "] has " + (batch[b] == null ? "no" : batch[b].length)
                        + " values, the model expects " + describe(graph.input().shape()) + " = " + size);
            }
            checkFinite(batch[b], 0, size, "batch[" + b + "]");
        }
        float[] flat = run(batch.length, (b, s, image) -> quantize(batch[b], 0, s, image));
        float[][] out = new float[batch.length][];
        int outSize = graph.output().size();
        for (int b = 0; b < batch.length; b++) {
            out[b] = Arrays.copyOfRange(flat, b * outSize, (b + 1) * outSize);
        }
        return out;
    }

    /** {@code count} inputs one after another in {@code inputs}; returns {@code count} outputs likewise. */
    public float[] predictBatch(float[] inputs, int count) {
        int size = graph.input().size();
        checkLength(inputs.length, count, size);
        checkFinite(inputs, 0, inputs.length, "input");
        return run(count, (b, s, image) -> quantize(inputs, b * size, s, image));
    }

    /** Like {@link #predict(float[])} for an input already quantized to uint8 with {@link #inputQuantization()}. */
    public float[] predictUint8(byte[] input) {
        return predictUint8(input, 1);
    }

    /** {@code count} uint8 inputs one after another. */
    public float[] predictUint8(byte[] inputs, int count) {
        if (graph.input().dynamic()) {
            throw new IllegalArgumentException(
                    "the model input is dynamic: it has no fixed uint8 quantization, " + "use predict(float[])");
        }
        int size = graph.input().size();
        checkLength(inputs.length, count, size);
        int qmax = graph.input().quantization().qmax();
        for (int i = 0; i < inputs.length; i++) {
            if ((inputs[i] & 0xFF) > qmax) {
                throw new IllegalArgumentException("input[" + i + "] = " + (inputs[i] & 0xFF) + " exceeds qmax " + qmax
                        + " of the " + graph.input().quantization().bits() + "-bit input" + where(i % size));
            }
        }
        return run(count, (b, s, image) -> {
            byte[] dst = executor.tensor(s, 0);
            for (int i = 0; i < size; i++) {
                dst[image * size + i] = (byte) (inputs[b * size + i] - 128);
            }
        });
    }

    /** Indices of the {@code k} largest outputs for {@code input}, largest first (ties: lower index first). */
    public int[] topK(float[] input, int k) {
        float[] out = predict(input);
        if (k < 1 || k > out.length) {
            throw new IllegalArgumentException("k must be in [1, " + out.length + "], got " + k);
        }
        return IntStream.range(0, out.length)
                .boxed()
                .sorted((a, b) -> out[a] != out[b] ? Float.compare(out[b], out[a]) : Integer.compare(a, b))
                .limit(k)
                .mapToInt(Integer::intValue)
                .toArray();
    }

    /**
     * Debugging and agreement tests: the integer output of op {@code opIndex} for one input, in NCHW
     * order. For a quantized op these are its uint8 values {@code q} ({@code r = s (q - z)}); for a
     * last op that outputs float logits, its int32 accumulators (bias included) before dequantizing;
     * for a dynamic dense op, its uint8 values under that image's run-time scale, or when last, its
     * int32 accumulators {@code sum (q_in - z_in) w} (the float bias comes after).
     */
    public int[] quantizedOutput(int opIndex, float[] input) {
        checkOp(opIndex);
        Executor.Scratch s = start(input);
        try {
            executor.run(s, 1, opIndex, executor.intraOp(1));
            return integers(s, opIndex);
        } finally {
            release(s);
        }
    }

    /**
     * Agreement checks: {@link #quantizedOutput(int, float[])} of every op for one input, indexed
     * like {@link #ops()}, from one pass through the graph.
     */
    public int[][] quantizedOutputs(float[] input) {
        Executor.Scratch s = start(input);
        try {
            int[][] out = new int[graph.ops().size()][];
            for (int i = 0; i < out.length; i++) {
                executor.step(s, i, executor.intraOp(1));
                out[i] = integers(s, i);
            }
            return out;
        } finally {
            release(s);
        }
    }

    /**
     * Agreement checks: op {@code opIndex} alone, on the integer codes of the tensors it reads ({@link
     * OpInfo#inputTensors()} order, values as {@link #quantizedOutput(int, float[])} gives them), so that
     * an op can be compared with its twin in another implementation on the same inputs.
     *
     * @throws IllegalArgumentException for a wrong number or size of inputs, a value outside its
     *     tensor's range, or an op that reads a dynamic tensor (its scale comes from the image)
     */
    public int[] quantizedOutput(int opIndex, int[]... inputs) {
        checkOp(opIndex);
        Op op = graph.ops().get(opIndex);
        int[] tensors = op.inputs();
        if (inputs.length != tensors.length) {
            throw new IllegalArgumentException(
                    "op " + op.name() + " reads " + tensors.length + " tensor(s), got " + inputs.length);
        }
        Executor.Scratch s = acquire(1);
        try {
            write(op, inputs, s);
            executor.step(s, opIndex, executor.intraOp(1));
            return integers(s, opIndex);
        } finally {
            release(s);
        }
    }

    /** {@code inputs}, checked against the tensors {@code op} reads, into those tensors of {@code s}. */
    private void write(Op op, int[][] inputs, Executor.Scratch s) {
        int[] tensors = op.inputs();
        for (int j = 0; j < tensors.length; j++) {
            TensorInfo t = graph.tensors().get(tensors[j]);
            if (t.quantization() == null) {
                throw new IllegalArgumentException(
                        "op " + op.name() + " reads tensor " + tensors[j] + ", which has no fixed quantization");
            }
            if (inputs[j].length != t.size()) {
                throw new IllegalArgumentException("input " + j + " of op " + op.name() + " has " + inputs[j].length
                        + " values, tensor " + tensors[j] + " " + describe(t.shape()) + " has " + t.size());
            }
            byte[] dst = executor.tensor(s, tensors[j]);
            int qmax = t.quantization().qmax();
            for (int k = 0; k < inputs[j].length; k++) {
                int v = inputs[j][k];
                if (v < 0 || v > qmax) {
                    throw new IllegalArgumentException("input " + j + " of op " + op.name() + ": value " + v + " at "
                            + k + " outside [0, " + qmax + "]");
                }
                dst[k] = (byte) (v - 128);
            }
        }
    }

    private void checkOp(int opIndex) {
        if (opIndex < 0 || opIndex >= graph.ops().size()) {
            throw new IllegalArgumentException(
                    "op index " + opIndex + " not in [0, " + graph.ops().size() + ")");
        }
    }

    /** A scratch holding {@code input} quantized as tensor 0; {@link #release} it after use. */
    private Executor.Scratch start(float[] input) {
        int size = graph.input().size();
        checkLength(input.length, 1, size);
        checkFinite(input, 0, size, "input");
        Executor.Scratch s = acquire(1);
        quantize(input, 0, s, 0);
        return s;
    }

    /** Op {@code op}'s output in {@code s} as {@link #quantizedOutput(int, float[])} returns it. */
    private int[] integers(Executor.Scratch s, int op) {
        TensorInfo out = graph.tensors().get(op + 1);
        if (out.quantization() == null && op == graph.ops().size() - 1) {
            return executor.lastAccumulators(s);
        }
        byte[] buffer = executor.tensor(s, op + 1);
        int[] q = new int[out.size()];
        for (int i = 0; i < q.length; i++) {
            q[i] = buffer[i] + 128;
        }
        return q;
    }

    /** {@link #quantizedOutput(int, float[])} of the op named {@code opName}. */
    public int[] quantizedOutput(String opName, float[] input) {
        int index = opNames().indexOf(opName);
        if (index < 0) {
            throw new IllegalArgumentException("no op named '" + opName + "'; ops are " + opNames());
        }
        return quantizedOutput(index, input);
    }

    /** Scratch for {@code images} inputs that no other call uses until {@link #release}. */
    private Executor.Scratch acquire(int images) {
        return executor.scratch(free.get().pollFirst(), images);
    }

    private void release(Executor.Scratch s) {
        free.get().offerFirst(s);
    }

    private interface Source {
        /** Writes input {@code b} of the batch, signed-domain, as image {@code image} of tensor 0. */
        void fill(int b, Executor.Scratch s, int image);
    }

    private float[] run(int count, Source source) {
        int outSize = graph.output().size();
        float[] out = new float[count * outSize];
        int per = Math.max(1, Math.min(executor.chunk(), (count + cores - 1) / cores));
        int pieces = (count + per - 1) / per;
        // Fewer pieces than cores: each piece also splits its large ops over the pool.
        boolean intraOp = executor.intraOp(pieces);
        IntStream range = IntStream.range(0, pieces);
        (pieces > 1 ? range.parallel() : range).forEach(piece -> {
            int from = piece * per;
            int n = Math.min(per, count - from);
            Executor.Scratch s = acquire(n);
            try {
                for (int b = 0; b < n; b++) {
                    source.fill(from + b, s, b);
                }
                executor.run(s, n, graph.ops().size() - 1, intraOp);
                writeOutput(s, n, out, from * outSize);
            } finally {
                release(s);
            }
        });
        return out;
    }

    private void writeOutput(Executor.Scratch s, int n, float[] out, int offset) {
        TensorInfo last = graph.output();
        int size = last.size();
        if (last.quantization() == null) {
            executor.dequantize(s, n, out, offset);
        } else {
            byte[] q = executor.tensor(s, graph.tensors().size() - 1);
            float scale = last.quantization().scale();
            int zero = last.quantization().zeroPoint() - 128;
            for (int i = 0; i < n * size; i++) {
                out[offset + i] = scale * (q[i] - zero);
            }
        }
        if (graph.softmax()) {
            for (int b = 0; b < n; b++) {
                softmax(out, offset + b * size, size);
            }
        }
    }

    private static void softmax(float[] v, int offset, int size) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = offset; i < offset + size; i++) {
            max = Math.max(max, v[i]);
        }
        double sum = 0;
        for (int i = offset; i < offset + size; i++) {
            sum += Math.exp(v[i] - max);
        }
        for (int i = offset; i < offset + size; i++) {
            v[i] = (float) (Math.exp(v[i] - max) / sum);
        }
    }

    private void quantize(float[] x, int from, Executor.Scratch s, int image) {
        TensorInfo input = graph.input();
        byte[] dst = executor.tensor(s, 0);
        int offset = image * input.size();
        if (input.dynamic()) {
            DynamicQuantization.quantize(
                    x,
                    from,
                    input.size(),
                    input.dynamicBits(),
                    dst,
                    offset,
                    s.dynamicScale[0],
                    s.dynamicZero[0],
                    image);
            return;
        }
        TensorQuantization q = input.quantization();
        for (int i = 0, n = input.size(); i < n; i++) {
            dst[offset + i] =
                    (byte) (FakeQuant.quantize(x[from + i], q.scale(), q.zeroPoint(), q.qmin(), q.qmax()) - 128);
        }
    }

    private void checkLength(int length, int count, int size) {
        if (count < 1 || length != (long) count * size) {
            throw new IllegalArgumentException("got " + length + " values for " + count + " inputs, the model expects "
                    + describe(graph.input().shape()) + " = " + size + " values per input");
        }
    }

    private void checkFinite(float[] x, int from, int to, String name) {
        int size = graph.input().size();
        for (int i = from; i < to; i++) {
            if (!Float.isFinite(x[i])) {
                throw new IllegalArgumentException(name + "[" + i + "] is " + x[i]
                        + (to - from > size ? " (input " + (i - from) / size + ")" : "") + where((i - from) % size));
            }
        }
    }

    /** " at [c, y, x]" for spatial inputs. */
    private String where(int index) {
        int[] shape = graph.input().shape();
        if (shape.length != 3) {
            return "";
        }
        int plane = shape[1] * shape[2];
        return " at [c=" + index / plane + ", y=" + index % plane / shape[2] + ", x=" + index % shape[2] + "]";
    }

    private static String describe(int[] shape) {
        return Arrays.toString(shape);
    }

    @Override
    public String toString() {
        return "Int8Model[input " + graph.input() + ", " + graph.ops().size() + " ops, output " + graph.output()
                + (graph.softmax() ? " + softmax" : "") + "]";
    }
}
