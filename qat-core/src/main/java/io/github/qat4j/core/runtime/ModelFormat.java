package io.github.qat4j.core.runtime;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * The int8 model file: writer of version 5, strict reader of versions 1 to 5. qat-core/README.md
 * is the specification; this class follows it field by field.
 */
final class ModelFormat {

    static final byte[] MAGIC = {'Q', 'A', 'T', '4', 'J', 'I', '8', 0};
    static final int VERSION = 5;
    /** The first version with dynamic tensors: the INPUT kind byte and DYNAMIC_DENSE. */
    static final int DYNAMIC_VERSION = 3;
    /** The first version whose requantized layers store an i64 output bias instead of the int32 bias. */
    static final int OUTPUT_BIAS_VERSION = 4;
    /** The first version whose average pools may requantize to their own quantization ({@link Op.Averaged}). */
    static final int AVERAGED_VERSION = 5;
    /** The first version whose INPUT section records the input preprocessing ({@link InputPreprocessing}). */
    static final int PREPROCESSING_VERSION = 5;

    static final int INPUT = 1;
    static final int CONV2D = 2;
    static final int DENSE = 3;
    static final int MAX_POOL = 4;
    static final int AVG_POOL = 5;
    static final int GLOBAL_AVG_POOL = 6;
    static final int ADD = 7;
    static final int RESHAPE = 8;
    static final int OUTPUT = 9;
    static final int END = 10;
    static final int DYNAMIC_DENSE = 11;

    private static final int REQUANTIZED = 0;
    private static final int DEQUANTIZED = 1;
    /** INPUT kinds (version 3). */
    private static final int STATIC_INPUT = 0;

    private static final int DYNAMIC_INPUT = 1;
    /** Section header (tag, length) and trailer (CRC32). */
    private static final int FRAMING = 12;

    private ModelFormat() {}

    /**
     * Bits a file of {@code version} stores per weight of {@code bits} bits: version 1 stored int4
     * nibbles up to 4 bits and int8 bytes above, versions 2 and 3 store exactly {@code bits}.
     */
    static int storedBits(int version, int bits) {
        return version >= 2 ? bits : bits <= 4 ? 4 : 8;
    }

    /** Bytes of {@code count} weights packed at {@code storedBits} bits each. */
    static long packedBytes(int storedBits, long count) {
        return (count * storedBits + 7) / 8;
    }

    /**
     * Packs each weight into {@code bits} bits of two's complement, LSB first: weight {@code i} is bits
     * {@code [i * bits, (i + 1) * bits)} of the stream whose bit {@code k} is bit {@code k % 8} of byte
     * {@code k / 8}. The unused high bits of the last byte are 0.
     */
    static byte[] pack(byte[] weights, int bits) {
        byte[] packed = new byte[(int) packedBytes(bits, weights.length)];
        int mask = (1 << bits) - 1;
        for (int i = 0; i < weights.length; i++) {
            long bit = (long) i * bits;
            int at = (int) (bit >>> 3);
            int shift = (int) (bit & 7);
            int code = weights[i] & mask;
            packed[at] |= (byte) (code << shift);
            if (shift + bits > 8) {
                packed[at + 1] |= (byte) (code >>> (8 - shift));
            }
        }
        return packed;
    }

    /** The inverse of {@link #pack}: {@code count} weights of {@code bits} bits from {@code packed[from...]}. */
    static byte[] unpack(byte[] packed, int from, int count, int bits) {
        byte[] weights = new byte[count];
        for (int i = 0; i < count; i++) {
            long bit = (long) i * bits;
            int at = from + (int) (bit >>> 3);
            int shift = (int) (bit & 7);
            int code = (packed[at] & 0xFF) >>> shift;
            if (shift + bits > 8) {
                code |= (packed[at + 1] & 0xFF) << (8 - shift);
            }
            weights[i] = (byte) (code << (32 - bits) >> (32 - bits));
        }
        return weights;
    }

    // ---------------------------------------------------------------- writer

    static byte[] write(Graph graph) {
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        file.writeBytes(MAGIC);
        file.writeBytes(le(VERSION));
        Section input = new Section();
        input.shape(graph.input().shape());
        if (graph.input().dynamic()) {
            input.u8(DYNAMIC_INPUT);
            input.u8(graph.input().dynamicBits());
        } else {
            input.u8(STATIC_INPUT);
            input.quantization(graph.input().quantization());
        }
        input.u8(graph.preprocessing().kind().ordinal());
        for (double v : graph.preprocessing().mean()) {
            input.f64(v);
        }
        for (double v : graph.preprocessing().std()) {
            input.f64(v);
        }
        input.writeTo(file, INPUT);
        for (Op op : graph.ops()) {
            file.writeBytes(opSection(op));
        }
        Section output = new Section();
        output.u8(graph.softmax() ? 1 : 0);
        output.writeTo(file, OUTPUT);
        new Section().writeTo(file, END);
        return file.toByteArray();
    }

    /** The section of {@code op} in the file, framing included. */
    static byte[] opSection(Op op) {
        Section s = new Section();
        s.string(op.name());
        for (int id : op.inputs()) {
            s.i32(id);
        }
        int tag;
        if (op instanceof Op.Conv2D c) {
            s.i32(
                    c.inChannels(),
                    c.outChannels(),
                    c.kH(),
                    c.kW(),
                    c.strideH(),
                    c.strideW(),
                    c.padTop(),
                    c.padLeft(),
                    c.padBottom(),
                    c.padRight(),
                    c.dilationH(),
                    c.dilationW(),
                    c.groups());
            s.layer(c.weightBits(), c.weights(), c.weightScale(), c.bias(), c.output());
            tag = CONV2D;
        } else if (op instanceof Op.Dense d) {
            s.i32(d.inFeatures(), d.outFeatures());
            s.layer(d.weightBits(), d.weights(), d.weightScale(), d.bias(), d.output());
            tag = DENSE;
        } else if (op instanceof Op.DynamicDense d) {
            s.i32(d.inFeatures(), d.outFeatures());
            s.u8(d.weightBits());
            s.u8(d.outputBits());
            s.u8(d.activation().ordinal());
            for (float v : d.weightScale()) {
                s.f32(v);
            }
            for (float v : d.bias()) {
                s.f32(v);
            }
            s.weights(d.weightBits(), d.weights());
            tag = DYNAMIC_DENSE;
        } else if (op instanceof Op.Pool p) {
            s.i32(p.kH(), p.kW(), p.strideH(), p.strideW(), p.padTop(), p.padLeft(), p.padBottom(), p.padRight());
            if (p.average()) {
                s.averaged(p.averaged());
            }
            tag = p.average() ? AVG_POOL : MAX_POOL;
        } else if (op instanceof Op.GlobalAvgPool p) {
            s.averaged(p.averaged());
            tag = GLOBAL_AVG_POOL;
        } else if (op instanceof Op.Add a) {
            s.quantization(a.quantization());
            s.i32(
                    a.quantizedActivationMin(),
                    a.quantizedActivationMax(),
                    a.leftShift(),
                    a.input1Multiplier(),
                    a.input1Shift(),
                    a.input2Multiplier(),
                    a.input2Shift(),
                    a.outputMultiplier(),
                    a.outputShift());
            tag = ADD;
        } else {
            s.shape(((Op.Reshape) op).shape());
            tag = RESHAPE;
        }
        ByteArrayOutputStream section = new ByteArrayOutputStream();
        s.writeTo(section, tag);
        return section.toByteArray();
    }

    private static byte[] le(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    /** One section's payload being written. */
    private static final class Section {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void u8(int v) {
            out.write(v);
        }

        void i32(int... values) {
            for (int v : values) {
                out.writeBytes(le(v));
            }
        }

        void f32(float v) {
            i32(Float.floatToRawIntBits(v));
        }

        void i64(long v) {
            i32((int) v, (int) (v >>> 32));
        }

        void f64(double v) {
            i64(Double.doubleToRawLongBits(v));
        }

        void string(String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            out.write(utf8.length & 0xFF);
            out.write(utf8.length >>> 8);
            out.writeBytes(utf8);
        }

        void shape(int[] shape) {
            u8(shape.length);
            i32(shape);
        }

        void quantization(TensorQuantization q) {
            f32(q.scale());
            i32(q.zeroPoint());
            u8(q.bits());
        }

        /** An average pool's requantization: 0, or 1 then its quantization, multiplier and shift. */
        void averaged(Op.Averaged a) {
            u8(a == null ? 0 : 1);
            if (a != null) {
                quantization(a.quantization());
                i32(a.multiplier(), a.shift());
            }
        }

        void layer(int bits, byte[] weights, float[] weightScale, int[] bias, Op.Output output) {
            u8(bits);
            if (output instanceof Op.Requantized r) {
                u8(REQUANTIZED);
                quantization(r.quantization());
                i32(r.quantizedActivationMin(), r.quantizedActivationMax());
            } else {
                u8(DEQUANTIZED);
            }
            for (float s : weightScale) {
                f32(s);
            }
            if (output instanceof Op.Requantized r) {
                // An op read from an older file keeps its int32 bias: (acc + b) * m = acc * m + b * m, exactly.
                for (int c = 0; c < bias.length; c++) {
                    i64(r.outputBias()[c] + (long) bias[c] * r.outputMultiplier()[c]);
                }
                i32(r.outputMultiplier());
                i32(r.outputShift());
            } else {
                i32(bias);
                for (float s : ((Op.Dequantized) output).outputScale()) {
                    f32(s);
                }
            }
            weights(bits, weights);
        }

        void weights(int bits, byte[] weights) {
            out.writeBytes(pack(weights, bits));
        }

        void writeTo(ByteArrayOutputStream file, int tag) {
            byte[] payload = out.toByteArray();
            byte[] header = ByteBuffer.allocate(8)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(tag)
                    .putInt(payload.length)
                    .array();
            CRC32 crc = new CRC32();
            crc.update(header);
            crc.update(payload);
            file.writeBytes(header);
            file.writeBytes(payload);
            file.writeBytes(le((int) crc.getValue()));
        }
    }

    // ---------------------------------------------------------------- reader

    static Graph read(byte[] file) throws ModelFormatException {
        Cursor c = new Cursor(file, 0, file.length);
        for (int i = 0; i < MAGIC.length; i++) {
            if (c.remaining() == 0 || c.u8("magic") != (MAGIC[i] & 0xFF)) {
                throw new ModelFormatException("not a qat4j int8 model: bad magic", i);
            }
        }
        int version = c.i32("version");
        if (version > VERSION) {
            throw new ModelFormatException("format version " + version + " is newer than this reader's " + VERSION, 8);
        }
        if (version < 1) {
            throw new ModelFormatException("invalid format version " + version, 8);
        }
        Cursor s = section(c, INPUT);
        TensorInfo input = semantic(s, () -> {
            int[] shape = s.shape();
            int kind = version < DYNAMIC_VERSION ? STATIC_INPUT : s.u8("input kind");
            if (kind == DYNAMIC_INPUT) {
                return TensorInfo.dynamic(shape, s.u8("dynamic input bits"));
            }
            if (kind != STATIC_INPUT) {
                throw new ModelFormatException("input kind must be 0 (static) or 1 (dynamic), got " + kind, s.pos - 1);
            }
            return new TensorInfo(shape, s.quantization());
        });
        InputPreprocessing preprocessing = version < PREPROCESSING_VERSION
                ? InputPreprocessing.NOT_RECORDED
                : s.preprocessing(Graph.inputChannels(input));
        s.end();
        List<TensorInfo> tensors = new ArrayList<>();
        tensors.add(input);
        List<Op> ops = new ArrayList<>();
        while (true) {
            long at = c.pos;
            Cursor p = section(c, -1);
            if (p.tag == OUTPUT) {
                if (ops.isEmpty()) {
                    throw new ModelFormatException("model has no ops", at);
                }
                int softmax = p.u8("softmax flag");
                if (softmax > 1) {
                    throw new ModelFormatException("softmax flag must be 0 or 1, got " + softmax, p.pos - 1);
                }
                p.end();
                section(c, END).end();
                if (c.remaining() != 0) {
                    throw new ModelFormatException(c.remaining() + " bytes after the END section", c.pos);
                }
                List<Op> all = ops;
                return semantic(p, () -> new Graph(input, preprocessing, all, softmax == 1));
            }
            Op op = readOp(p, version);
            p.end();
            int index = ops.size();
            // Validated now, before the next section, so a bad op is reported at its own offset; a
            // float-output op is checked as if last and rejected later if another op follows it.
            TensorInfo out = semantic(p, () -> Graph.inferNext(tensors, op, index, index + 1));
            if (index > 0 && tensors.get(index).logits()) {
                throw new ModelFormatException("op " + index + " follows an op that outputs float logits", at);
            }
            tensors.add(out);
            ops.add(op);
        }
    }

    private interface Parse<T> {
        T get() throws ModelFormatException;
    }

    /** Runs a constructor that validates with IllegalArgumentException and reports it at the section. */
    private static <T> T semantic(Cursor section, Parse<T> parse) throws ModelFormatException {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException("section " + section.tag + ": " + e.getMessage(), section.start - 8);
        }
    }

    /** Reads one section's framing, checks its CRC and returns a cursor over its payload. */
    private static Cursor section(Cursor c, int expectedTag) throws ModelFormatException {
        int start = c.pos;
        int tag = c.i32("section tag");
        int length = c.i32("section length");
        if (length < 0 || length > c.remaining() - 4) {
            throw new ModelFormatException(
                    "section length " + Integer.toUnsignedString(length) + " exceeds the "
                            + Math.max(0, c.remaining() - 4) + " bytes left",
                    start + 4);
        }
        CRC32 crc = new CRC32();
        crc.update(c.file, start, 8 + length);
        int stored = ByteBuffer.wrap(c.file, start + 8 + length, 4)
                .order(ByteOrder.LITTLE_ENDIAN)
                .getInt();
        if (stored != (int) crc.getValue()) {
            throw new ModelFormatException("CRC32 mismatch in section with tag " + tag, start);
        }
        if (expectedTag >= 0 && tag != expectedTag) {
            throw new ModelFormatException("expected section " + expectedTag + ", found " + tag, start);
        }
        if (tag < INPUT
                || tag > DYNAMIC_DENSE
                || tag == END && expectedTag != END
                || tag == INPUT && expectedTag != INPUT) {
            throw new ModelFormatException("unknown or misplaced section tag " + tag, start);
        }
        c.pos = start + 8 + length + 4;
        Cursor payload = new Cursor(c.file, start + 8, start + 8 + length);
        payload.tag = tag;
        return payload;
    }

    private static Op readOp(Cursor p, int version) throws ModelFormatException {
        String name = p.string();
        int input = p.i32("input tensor");
        return switch (p.tag) {
            case CONV2D -> {
                int[] f = new int[13];
                for (int i = 0; i < f.length; i++) {
                    f[i] = p.i32("conv field " + i);
                }
                int inC = f[0];
                int outC = f[1];
                int groups = f[12];
                if (inC <= 0 || outC <= 0 || groups <= 0 || f[2] <= 0 || f[3] <= 0 || inC % groups != 0) {
                    throw new ModelFormatException(
                            "conv '" + name + "' has non-positive sizes or groups not dividing " + "inChannels",
                            p.start);
                }
                long count = (long) outC * (inC / groups) * f[2] * f[3];
                Layer l = p.layer(name, version, outC, count);
                yield new Op.Conv2D(
                        name,
                        input,
                        inC,
                        outC,
                        f[2],
                        f[3],
                        f[4],
                        f[5],
                        f[6],
                        f[7],
                        f[8],
                        f[9],
                        f[10],
                        f[11],
                        groups,
                        l.bits,
                        l.weights,
                        l.weightScale,
                        l.bias,
                        l.output);
            }
            case DENSE -> {
                int in = p.i32("inFeatures");
                int out = p.i32("outFeatures");
                if (in <= 0 || out <= 0) {
                    throw new ModelFormatException("dense '" + name + "' has non-positive sizes", p.start);
                }
                Layer l = p.layer(name, version, out, (long) in * out);
                yield new Op.Dense(name, input, in, out, l.bits, l.weights, l.weightScale, l.bias, l.output);
            }
            case DYNAMIC_DENSE -> {
                if (version < DYNAMIC_VERSION) {
                    throw new ModelFormatException(
                            "DYNAMIC_DENSE needs format version " + DYNAMIC_VERSION + ", file is " + version,
                            p.start - 8);
                }
                int in = p.i32("inFeatures");
                int out = p.i32("outFeatures");
                if (in <= 0 || out <= 0) {
                    throw new ModelFormatException("dynamic dense '" + name + "' has non-positive sizes", p.start);
                }
                int bits = p.weightBits(name);
                int outputBits = p.u8("output bits");
                int activation = p.u8("activation");
                if (activation >= Activation.values().length) {
                    throw new ModelFormatException(
                            "activation must be 0 (none), 1 (ReLU) or 2 (ReLU6), got " + activation, p.pos - 1);
                }
                long count = (long) in * out;
                p.need(
                        out * 8L + packedBytes(bits, count),
                        out + " channels and " + Cursor.weightsOf(name, count, bits));
                float[] scale = p.floats(out, "weight scale");
                float[] bias = p.floats(out, "bias");
                byte[] weights = p.weights(name, bits, count);
                yield new Op.DynamicDense(
                        name, input, in, out, bits, weights, scale, bias, Activation.values()[activation], outputBits);
            }
            case MAX_POOL, AVG_POOL -> {
                int[] f = new int[8];
                for (int i = 0; i < f.length; i++) {
                    f[i] = p.i32("pool field " + i);
                }
                Op.Averaged averaged = p.tag == AVG_POOL ? p.averaged(version) : null;
                yield new Op.Pool(
                        name, input, p.tag == AVG_POOL, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], averaged);
            }
            case GLOBAL_AVG_POOL -> new Op.GlobalAvgPool(name, input, p.averaged(version));
            case ADD -> {
                int input2 = p.i32("second input tensor");
                TensorQuantization q = semantic(p, p::quantization);
                int[] f = new int[9];
                for (int i = 0; i < f.length; i++) {
                    f[i] = p.i32("add field " + i);
                }
                yield new Op.Add(name, input, input2, q, f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[0], f[1]);
            }
            case RESHAPE -> new Op.Reshape(name, input, semantic(p, p::shape));
            default -> throw new ModelFormatException("unknown op tag " + p.tag, p.start - 8);
        };
    }

    private record Layer(int bits, byte[] weights, float[] weightScale, int[] bias, Op.Output output) {}

    /** Bounds-checked little-endian reads over {@code [pos, limit)}, reporting absolute offsets. */
    private static final class Cursor {
        final byte[] file;
        final int start;
        final int limit;
        int pos;
        int tag;

        Cursor(byte[] file, int start, int limit) {
            this.file = file;
            this.start = start;
            this.limit = limit;
            this.pos = start;
        }

        int remaining() {
            return limit - pos;
        }

        void need(long n, String what) throws ModelFormatException {
            if (n > remaining()) {
                throw new ModelFormatException(
                        "truncated: " + what + " needs " + n + " bytes, " + remaining() + " left"
                                + (tag > 0 ? " in section " + tag : ""),
                        pos);
            }
        }

        int u8(String what) throws ModelFormatException {
            need(1, what);
            return file[pos++] & 0xFF;
        }

        int i32(String what) throws ModelFormatException {
            need(4, what);
            int v = (file[pos] & 0xFF)
                    | (file[pos + 1] & 0xFF) << 8
                    | (file[pos + 2] & 0xFF) << 16
                    | file[pos + 3] << 24;
            pos += 4;
            return v;
        }

        float f32(String what) throws ModelFormatException {
            return Float.intBitsToFloat(i32(what));
        }

        long i64(String what) throws ModelFormatException {
            long low = i32(what) & 0xFFFFFFFFL;
            return low | (long) i32(what) << 32;
        }

        double f64(String what) throws ModelFormatException {
            return Double.longBitsToDouble(i64(what));
        }

        /** What the writer wrote after the input's quantization, for an input of {@code channels} channels. */
        InputPreprocessing preprocessing(int channels) throws ModelFormatException {
            int kind = u8("input preprocessing");
            if (kind >= InputPreprocessing.Kind.values().length) {
                throw new ModelFormatException(
                        "input preprocessing must be 0 (not recorded), 1 (pixel / 255) or 2 "
                                + "((pixel / 255 - mean) / std), got " + kind,
                        pos - 1);
            }
            if (kind != InputPreprocessing.Kind.STANDARDIZE.ordinal()) {
                return kind == 0 ? InputPreprocessing.NOT_RECORDED : InputPreprocessing.unitRange();
            }
            need(16L * channels, channels + " means and stds");
            double[] mean = new double[channels];
            double[] std = new double[channels];
            for (int c = 0; c < channels; c++) {
                mean[c] = f64("mean");
            }
            for (int c = 0; c < channels; c++) {
                std[c] = f64("std");
            }
            return semantic(this, () -> InputPreprocessing.standardize(mean, std));
        }

        String string() throws ModelFormatException {
            int length = u8("name length") | u8("name length") << 8;
            need(length, "name");
            try {
                String s = StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(file, pos, length))
                        .toString();
                pos += length;
                return s;
            } catch (CharacterCodingException e) {
                throw new ModelFormatException("name is not valid UTF-8", pos);
            }
        }

        int[] shape() throws ModelFormatException {
            int rank = u8("rank");
            if (rank != 1 && rank != 3) {
                throw new ModelFormatException("rank must be 1 or 3, got " + rank, pos - 1);
            }
            int[] shape = new int[rank];
            for (int i = 0; i < rank; i++) {
                shape[i] = i32("dimension");
            }
            return shape;
        }

        TensorQuantization quantization() throws ModelFormatException {
            float scale = f32("scale");
            int zeroPoint = i32("zero point");
            int bits = u8("bits");
            return new TensorQuantization(scale, zeroPoint, bits);
        }

        /** What {@link Section#averaged} wrote; null in files before version 5, which have no such field. */
        Op.Averaged averaged(int version) throws ModelFormatException {
            if (version < AVERAGED_VERSION) {
                return null;
            }
            int flag = u8("requantized flag");
            if (flag > 1) {
                throw new ModelFormatException(
                        "an average pool's requantized flag must be 0 or 1, got " + flag, pos - 1);
            }
            if (flag == 0) {
                return null;
            }
            TensorQuantization q = semantic(this, this::quantization);
            return new Op.Averaged(q, i32("multiplier"), i32("shift"));
        }

        int weightBits(String name) throws ModelFormatException {
            int bits = u8("weight bits");
            if (bits < 2 || bits > 8) {
                throw new ModelFormatException(
                        "weights of '" + name + "': bits must be in [2, 8], got " + bits, pos - 1);
            }
            return bits;
        }

        float[] floats(int n, String what) throws ModelFormatException {
            need(4L * n, n + " " + what + "s");
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = f32(what);
            }
            return v;
        }

        /** What the {@code count} weights of {@code name} at {@code stored} bits are called in errors. */
        static String weightsOf(String name, long count, int stored) {
            return "weights of '" + name + "' (" + count + " at " + stored + " bits)";
        }

        /** {@code count} weights packed at {@code stored} bits, unpacked to one byte each. */
        byte[] weights(String name, int stored, long count) throws ModelFormatException {
            long weightBytes = packedBytes(stored, count);
            need(weightBytes, weightsOf(name, count, stored));
            byte[] unpacked = unpack(file, pos, (int) count, stored);
            int usedBits = (int) (count * stored % 8);
            int last = pos + (int) weightBytes - 1;
            if (usedBits != 0 && (file[last] & 0xFF) >>> usedBits != 0) {
                throw new ModelFormatException(
                        "weights of '" + name + "': the unused high bits of the last byte are not 0", last);
            }
            pos += (int) weightBytes;
            return unpacked;
        }

        Layer layer(String name, int version, int channels, long count) throws ModelFormatException {
            int bits = weightBits(name);
            int kind = u8("output kind");
            if (kind != REQUANTIZED && kind != DEQUANTIZED) {
                throw new ModelFormatException("output kind must be 0 or 1, got " + kind, pos - 1);
            }
            TensorQuantization q = null;
            int actMin = 0;
            int actMax = 0;
            if (kind == REQUANTIZED) {
                int at = pos;
                try {
                    q = quantization();
                } catch (IllegalArgumentException e) {
                    throw new ModelFormatException(e.getMessage(), at);
                }
                actMin = i32("quantized_activation_min");
                actMax = i32("quantized_activation_max");
            }
            int stored = storedBits(version, bits);
            long weightBytes = packedBytes(stored, count);
            boolean outputBias = kind == REQUANTIZED && version >= OUTPUT_BIAS_VERSION;
            // Every array's size is checked against the bytes left before it is allocated.
            need(
                    channels * (outputBias ? 16L : 12L) + weightBytes,
                    channels + " channels and " + weightsOf(name, count, stored));
            float[] weightScale = new float[channels];
            for (int c = 0; c < channels; c++) {
                weightScale[c] = f32("weight scale");
            }
            int[] bias = outputBias ? new int[channels] : ints(channels);
            long[] fixedBias = new long[channels];
            for (int c = 0; c < channels && outputBias; c++) {
                fixedBias[c] = i64("output bias");
            }
            Op.Output output;
            if (kind == REQUANTIZED) {
                output = new Op.Requantized(q, ints(channels), ints(channels), fixedBias, actMin, actMax);
            } else {
                float[] outputScale = new float[channels];
                for (int c = 0; c < channels; c++) {
                    outputScale[c] = f32("output scale");
                }
                output = new Op.Dequantized(outputScale);
            }
            return new Layer(bits, weights(name, stored, count), weightScale, bias, output);
        }

        private int[] ints(int n) throws ModelFormatException {
            need(4L * n, n + " int32 values");
            int[] v = new int[n];
            for (int i = 0; i < n; i++) {
                v[i] = i32("int32 value");
            }
            return v;
        }

        void end() throws ModelFormatException {
            if (pos != limit) {
                throw new ModelFormatException((limit - pos) + " unread bytes at the end of section " + tag, pos);
            }
        }
    }
}
