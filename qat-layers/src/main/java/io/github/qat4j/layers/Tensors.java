package io.github.qat4j.layers;

import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Moves tensors between ND4J and the flat row-major float arrays that qat-core's quantization math uses. */
final class Tensors {
    private Tensors() {
    }

    /** A row-major copy of {@code x} as floats (doubles are narrowed: quantization error dwarfs the rounding). */
    static float[] toFloats(INDArray x) {
        return x.dup('c').data().asFloat();
    }

    /** A new array of {@code like}'s shape and type, outside any workspace, holding {@code values} row-major. */
    static INDArray detached(float[] values, INDArray like) {
        return detached(values, like.shape(), like.dataType());
    }

    /** A new array outside any workspace holding {@code values} row-major. */
    static INDArray detached(float[] values, long[] shape, DataType type) {
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            INDArray a = Nd4j.create(values, shape, 'c');
            return type == DataType.FLOAT ? a : a.castTo(type);
        }
    }

    /** {@code values} in a new array of {@code like}'s shape, in the workspace DL4J expects for {@code type}. */
    static INDArray inWorkspace(float[] values, INDArray like, LayerWorkspaceMgr workspaceMgr, ArrayType type) {
        return workspaceMgr.createUninitialized(type, like.dataType(), like.shape(), 'c')
                .assign(detached(values, like));
    }

    /** The product of {@code shape[from..to]} (inclusive; 1 when empty). */
    static int product(long[] shape, int from, int to) {
        long n = 1;
        for (int i = from; i <= to; i++) {
            n *= shape[i];
        }
        return Math.toIntExact(n);
    }
}
