package io.github.qat4j.layers;

import java.nio.Buffer;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Moves tensors between ND4J and the flat row-major float arrays that qat-core's quantization math
 * uses, with one bulk copy each way (ND4J's own {@code asFloat} and {@code Nd4j.create(float[])} go
 * element by element through an indexer, which cost more than the math).
 */
public final class Tensors {
    private Tensors() {}

    /** A row-major copy of {@code x} as floats (doubles are narrowed: quantization error dwarfs the rounding). */
    public static float[] toFloats(INDArray x) {
        return toFloats(x, null);
    }

    /**
     * One layer's copies of the tensors it works on, kept from step to step by role, each overwritten by
     * the next copy for that role (a layer is used by one thread at a time). A new array per step costs
     * more than the copy: at training sizes (a few MB) G1 allocates such arrays outside the young
     * generation, and collecting them took a third of a LeNet-5 QAT step.
     */
    static final class Copies {
        private final Map<String, float[]> floats = new HashMap<>();
        private final Map<String, double[]> doubles = new HashMap<>();

        /** {@link Tensors#toFloats(INDArray)}, into this role's array. */
        float[] floats(String role, INDArray x) {
            float[] values = toFloats(x, floats.get(role));
            floats.put(role, values);
            return values;
        }

        /** {@link Tensors#toDoubles(INDArray)}, into this role's array. */
        double[] doubles(String role, INDArray x) {
            double[] values = toDoubles(x, doubles.get(role));
            doubles.put(role, values);
            return values;
        }

        /** This role's array of {@code length} doubles, holding whatever it held last. */
        double[] doubles(String role, int length) {
            double[] values = doubles.get(role);
            if (values == null || values.length != length) {
                values = new double[length];
                doubles.put(role, values);
            }
            return values;
        }
    }

    private static float[] toFloats(INDArray x, float[] reuse) {
        INDArray c = x.dataType() == DataType.FLOAT && denseRowMajor(x)
                ? x
                : x.castTo(DataType.FLOAT).dup('c');
        int length = Math.toIntExact(c.length());
        float[] values = reuse != null && reuse.length == length ? reuse : new float[length];
        slice(c.data().asNioFloat(), c).get(values);
        return values;
    }

    /** A row-major copy of {@code x} as doubles. */
    static double[] toDoubles(INDArray x) {
        return toDoubles(x, null);
    }

    private static double[] toDoubles(INDArray x, double[] reuse) {
        INDArray c = (x.dataType() == DataType.FLOAT || x.dataType() == DataType.DOUBLE) && denseRowMajor(x)
                ? x
                : x.castTo(x.dataType() == DataType.DOUBLE ? DataType.DOUBLE : DataType.FLOAT)
                        .dup('c');
        int length = Math.toIntExact(c.length());
        double[] values = reuse != null && reuse.length == length ? reuse : new double[length];
        if (c.dataType() == DataType.DOUBLE) {
            slice(c.data().asNioDouble(), c).get(values);
            return values;
        }
        FloatBuffer from = slice(c.data().asNioFloat(), c);
        float[] chunk = new float[Math.min(length, CHUNK)];
        for (int i = 0; i < length; i += chunk.length) {
            int n = Math.min(chunk.length, length - i);
            from.get(chunk, 0, n);
            for (int j = 0; j < n; j++) {
                values[i + j] = chunk[j];
            }
        }
        return values;
    }

    /** Elements per bulk copy where floats are widened or narrowed on the way: a buffer of a few kB, not a tensor's copy. */
    private static final int CHUNK = 8192;

    /** Overwrites {@code target}, a dense row-major float array, with {@code values}. */
    static INDArray write(float[] values, INDArray target) {
        check(values.length, target, DataType.FLOAT);
        slice(target.data().asNioFloat(), target).put(values);
        return target;
    }

    /** Overwrites {@code target}, a dense row-major float or double array, with {@code values}. */
    static INDArray write(double[] values, INDArray target) {
        if (target.dataType() == DataType.FLOAT) {
            check(values.length, target, DataType.FLOAT);
            FloatBuffer to = slice(target.data().asNioFloat(), target);
            float[] chunk = new float[Math.min(values.length, CHUNK)];
            for (int i = 0; i < values.length; i += chunk.length) {
                int n = Math.min(chunk.length, values.length - i);
                for (int j = 0; j < n; j++) {
                    chunk[j] = (float) values[i + j];
                }
                to.put(chunk, 0, n);
            }
            return target;
        }
        check(values.length, target, DataType.DOUBLE);
        slice(target.data().asNioDouble(), target).put(values);
        return target;
    }

    /** A new array of {@code like}'s shape and type, outside any workspace, holding {@code values} row-major. */
    static INDArray detached(float[] values, INDArray like) {
        return detached(values, like.shape(), like.dataType());
    }

    /** A new array outside any workspace holding {@code values} row-major. */
    static INDArray detached(float[] values, long[] shape, DataType type) {
        INDArray a = write(values, detachedFloats(shape));
        if (type == DataType.FLOAT) {
            return a;
        }
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            return a.castTo(type);
        }
    }

    /** {@code values} in a new array of {@code like}'s shape, in the workspace DL4J expects for {@code type}. */
    static INDArray inWorkspace(float[] values, INDArray like, LayerWorkspaceMgr workspaceMgr, ArrayType type) {
        return inWorkspace(values, like.shape(), like.dataType(), workspaceMgr, type);
    }

    /** {@code values} in a new array of the given shape and type, in the workspace DL4J expects for {@code type}. */
    static INDArray inWorkspace(
            double[] values, long[] shape, DataType dataType, LayerWorkspaceMgr workspaceMgr, ArrayType type) {
        if (dataType != DataType.FLOAT && dataType != DataType.DOUBLE) {
            return workspaceMgr.castTo(type, dataType, write(values, detachedFloats(shape)), false);
        }
        return write(values, workspaceMgr.createUninitialized(type, dataType, shape, 'c'));
    }

    /** {@code values} in a new array of the given shape and type, in the workspace DL4J expects for {@code type}. */
    static INDArray inWorkspace(
            float[] values, long[] shape, DataType dataType, LayerWorkspaceMgr workspaceMgr, ArrayType type) {
        if (dataType != DataType.FLOAT) {
            return workspaceMgr.castTo(type, dataType, write(values, detachedFloats(shape)), false);
        }
        return write(values, workspaceMgr.createUninitialized(type, DataType.FLOAT, shape, 'c'));
    }

    /** The product of {@code shape[from..to]} (inclusive; 1 when empty). */
    static int product(long[] shape, int from, int to) {
        long n = 1;
        for (int i = from; i <= to; i++) {
            n *= shape[i];
        }
        return Math.toIntExact(n);
    }

    /** Row-major and gap-free: every dimension longer than 1 has the stride of a fresh 'c' array. */
    private static boolean denseRowMajor(INDArray x) {
        long[] shape = x.shape();
        long[] stride = x.stride();
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] > 1 && stride[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return expected <= Integer.MAX_VALUE;
    }

    private static INDArray detachedFloats(long[] shape) {
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            return Nd4j.createUninitialized(DataType.FLOAT, shape, 'c');
        }
    }

    private static void check(int length, INDArray target, DataType type) {
        if (target.dataType() != type || !denseRowMajor(target) || target.length() != length) {
            throw new IllegalArgumentException("need a dense row-major " + type + " array of " + length
                    + " elements, got " + target.dataType() + " " + java.util.Arrays.toString(target.shape())
                    + " ordering " + target.ordering());
        }
    }

    /** The elements of a dense row-major array in its buffer {@code all}: positioned at the array's offset. */
    private static <B extends Buffer> B slice(B all, INDArray x) {
        int from = Math.toIntExact(x.offset());
        all.limit(from + Math.toIntExact(x.length()));
        all.position(from);
        return all;
    }
}
